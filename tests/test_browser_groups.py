"""A group meeting's attendance on a 375 px phone: the coordinator opens today's meeting from
the offer list, taps present or absent per participant, reloads and sees it kept."""

from datetime import time, timedelta

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser_support import axe_violations, sign_in

pytestmark = pytest.mark.browser

SMALL_PHONE = {"width": 375, "height": 812}


def _world(live):
    from app.core.timeutil import local_date, utcnow
    from app.extensions import db
    from app.groups import service as groups
    from app.matching import service as matching

    with live.app.app_context():
        location = factories.location("Bibliotheek Groep")
        coordinator = factories.user("coordinator", email="cor@taalhuis.example",
                                     name="Cor Coördinator", locations=[location])
        today = local_date(utcnow())
        offer = factories.offer(location, name="Klik & Tik vandaag")
        groups.save_schedule(offer, weekday=today.weekday(), at=time(10, 0),
                             starts_on=today - timedelta(weeks=2),
                             ends_on=today + timedelta(weeks=2), by=coordinator, now=utcnow())
        for first in ("Amina", "Bashir"):
            trajectory = factories.trajectory(
                factories.participant(first_name=first, last_name="Groepslid"),
                location_obj=location, status="waiting", waiting_since=today, owner=coordinator)
            matching.enroll(trajectory, offer, start_on=today - timedelta(weeks=2),
                            by=coordinator, now=utcnow())
        db.session.commit()
        return coordinator.email


def _row(page, name):
    return page.locator("li.task", has_text=name)


def test_attendance_of_a_meeting_on_a_small_phone(live_server, browser_page):
    email = _world(live_server)
    page = browser_page(SMALL_PHONE)
    sign_in(page, live_server, email, factories.PASSWORD)

    page.get_by_role("link", name="Aanbod").click()
    page.get_by_role("link", name="Klik & Tik vandaag").click()
    assert axe_violations(page) == []
    # The schedule page, with a date before the group's start: the message at the field.
    page.get_by_role("button", name="Rooster en data").click()
    page.get_by_label("Datum van de extra bijeenkomst").fill("2020-01-07")
    page.get_by_role("button", name="Bijeenkomst toevoegen").click()
    expect(page.locator("#extra-held_on-error")).to_contain_text("voor de start van de groep")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Terug naar de groep").click()
    page.get_by_role("button", name="Aanwezigheid bijhouden").click()
    assert page.get_by_role("heading", name="Klik & Tik vandaag").is_visible()
    assert axe_violations(page) == []

    amina, bashir = _row(page, "Amina Groepslid"), _row(page, "Bashir Groepslid")
    amina.get_by_role("button", name="Aanwezig").click()
    bashir.get_by_role("button", name="Niet gekomen").click()
    # Saved at once: the row says so without a new page.
    expect(amina.get_by_role("status")).to_have_text("Aanwezig")
    expect(bashir.get_by_role("status")).to_have_text("Niet gekomen")
    expect(amina.get_by_role("button", name="Aanwezig")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("document.documentElement.scrollWidth") <= SMALL_PHONE["width"]
    button = amina.get_by_role("button", name="Afgemeld").bounding_box()
    assert button["height"] >= 30  # big enough for a thumb

    page.reload()
    amina, bashir = _row(page, "Amina Groepslid"), _row(page, "Bashir Groepslid")
    assert amina.get_by_role("button", name="Aanwezig").get_attribute("aria-pressed") == "true"
    assert bashir.get_by_role("button", name="Niet gekomen").get_attribute(
        "aria-pressed") == "true"
    assert bashir.get_by_role("button", name="Aanwezig").get_attribute(
        "aria-pressed") == "false"
    assert axe_violations(page) == []

    # A second tap changes the answer (Bashir had called off after all).
    bashir.get_by_role("button", name="Afgemeld").click()
    expect(bashir.get_by_role("status")).to_have_text("Afgemeld")
    page.reload()
    assert _row(page, "Bashir Groepslid").get_by_role("button", name="Afgemeld").get_attribute(
        "aria-pressed") == "true"
