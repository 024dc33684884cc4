"""Paper in a real browser at phone size: the staff member opens the card from the agenda,
it prints without the app around it; the print list marks a letter; the admin previews a
message text. Every page axe-clean."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser_support import axe_violations, sign_in

pytestmark = pytest.mark.browser

SMALL_PHONE = {"width": 375, "height": 812}


def _world(live):
    from app.appointments.models import Appointment
    from app.core.timeutil import local_date, to_utc, utcnow
    from app.extensions import db
    from app.messaging.service import queue_message
    from app.messaging.texts import place_text, say_moment

    with live.app.app_context():
        location = factories.location("Bibliotheek Kaart")
        location.address = "Oudegracht 12, 3511 AB Utrecht"
        location.phone = "+31302345678"
        location.directions = "Ingang naast de bibliotheek"
        staff = factories.user("staff", email="kaart@taalhuis.example", locations=[location])
        admin = factories.user("admin", email="beheer-kaart@taalhuis.example")
        person = factories.participant(first_name="Łukasz", last_name="Nowak",
                                       preferred_channel="letter")
        trajectory = factories.trajectory(person, location_obj=location,
                                          status="intake_planned")
        tomorrow = local_date(utcnow()) + timedelta(days=1)
        appointment = Appointment(trajectory=trajectory, starts_at=to_utc(tomorrow, 10, 30),
                                  location=location, room="Leeshoek", with_user_id=staff.id)
        db.session.add(appointment)
        db.session.flush()
        queue_message(participant=person, trajectory=trajectory, code="intake_confirmation",
                      subject_key=f"appointment:{appointment.id}", period_key="confirmation",
                      values={"datum": say_moment(appointment.starts_at),
                              "adres": place_text(location, "Leeshoek")}, now=utcnow())
        db.session.commit()
        return {"staff": staff.email, "admin": admin.email, "tomorrow": tomorrow.isoformat(),
                "moment": say_moment(appointment.starts_at)}


def test_print_a_card_and_mark_the_letter_then_preview_a_text(live_server, browser_page):
    world = _world(live_server)
    page = browser_page(SMALL_PHONE)
    sign_in(page, live_server, world["staff"], factories.PASSWORD)

    page.goto(live_server(f"/agenda/?dag={world['tomorrow']}"))
    expect(page.get_by_role("link", name="Kaarten voor")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Kaart printen voor Łukasz").click()
    card = page.locator("article.card-paper")
    expect(card).to_contain_text(world["moment"])
    expect(card).to_contain_text("Oudegracht 12, 3511 AB Utrecht")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert axe_violations(page) == []
    # On paper: the card, not the menu, the buttons or the footer.
    page.emulate_media(media="print")
    expect(page.locator("header")).to_be_hidden()
    expect(page.locator("footer")).to_be_hidden()
    expect(page.get_by_text("Gebruik het printmenu")).to_be_hidden()
    expect(card).to_be_visible()
    page.emulate_media(media="screen")

    # The print list, from the menu with its count.
    page.get_by_role("link", name="Te printen 1 brieven").click()
    expect(page.get_by_role("cell", name="Łukasz N.", exact=True)).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Printen voor Łukasz N.").click()
    expect(page.locator("article.card-paper")).to_contain_text("Uw afspraak bij het Taalhuis")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Geprint of meegegeven").click()
    expect(page.get_by_text("Er is niets te printen.")).to_be_visible()

    # The admin's preview of a text, without JavaScript needed.
    admin = browser_page(SMALL_PHONE)
    sign_in(admin, live_server, world["admin"], factories.PASSWORD)
    admin.goto(live_server("/beheer/berichten/"))
    assert axe_violations(admin) == []
    admin.get_by_role("link", name="Intake: herinnering de dag ervoor").first.click()
    admin.get_by_label("Vertaling: Arabisch").fill("مرحبا {{ voornaam }}")
    admin.get_by_role("button", name="Voorbeeld").click()
    expect(admin.get_by_text("Hallo Fatima. Morgen heeft u een afspraak").first).to_be_visible()
    expect(admin.get_by_text("want er staat een teken in").first).to_be_visible()
    assert axe_violations(admin) == []
    admin.get_by_label("Nederlandse tekst").fill("Hallo {{ naam }}")
    admin.get_by_role("button", name="Opslaan").click()
    expect(admin.get_by_text("{{ naam }} kan in dit bericht niet")).to_be_visible()
    assert axe_violations(admin) == []
