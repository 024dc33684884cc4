"""Issue 11 in a real browser on a 375 px phone: a coordinator logs a phone call on an
active trajectory and sees "buiten beeld" clear, plans a check-in (a past date is refused at
the field), and looks at "Zonder volgende stap"; a volunteer reports a session that did not
happen. Every page without axe violations, keyboard-sized on a phone."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser_support import axe_violations, sign_in

pytestmark = pytest.mark.browser

SMALL_PHONE = {"width": 375, "height": 740}


def _fits(page) -> None:
    # Nothing wider than the screen: no sideways scrolling of the whole page.
    assert page.evaluate("document.documentElement.scrollWidth") <= SMALL_PHONE["width"]


def test_coordinator_logs_a_call_and_plans_a_check_in_on_a_phone(live_server, browser_page):
    from app.extensions import db

    now = datetime.now(ZoneInfo("UTC"))
    with live_server.app.app_context():
        location = factories.location("Bibliotheek West")
        coordinator = factories.user("coordinator", locations=[location],
                                     email="coordinator@west.example", name="Noor Bakker")
        person = factories.participant(first_name="Samira", last_name="Bakkali")
        trajectory = factories.trajectory(person, location_obj=location, status="active",
                                          owner=coordinator,
                                          last_contact_at=now - timedelta(days=60),
                                          out_of_view_since=now - timedelta(days=18))
        db.session.commit()
        participant_id = trajectory.participant_id

    page = browser_page(SMALL_PHONE)
    sign_in(page, live_server, "coordinator@west.example", factories.PASSWORD)

    page.goto(live_server(f"/deelnemers/{participant_id}"))
    expect(page.get_by_text("Buiten beeld sinds").first).to_be_visible()
    page.get_by_role("button", name="Contact vastleggen").click()
    heading = page.get_by_role("heading", name="Contact met Samira Bakkali vastleggen")
    expect(heading).to_be_visible()
    assert axe_violations(page) == []
    _fits(page)
    page.get_by_label("Gebeld").check()
    page.get_by_label("Ja, gesproken").check()
    page.get_by_label("Notitie (kort, mag leeg blijven)").fill("Belde zelf terug.")
    page.get_by_role("button", name="Opslaan").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Contact met Samira Bakkali vastgelegd.")).to_be_visible()
    expect(page.get_by_text("Buiten beeld sinds")).to_have_count(0)
    expect(page.get_by_text("Gebeld: bereikt").first).to_be_visible()

    # Nothing is planned for her now: she is on "Zonder volgende stap".
    page.goto(live_server("/zonder-volgende-stap"))
    expect(page.get_by_role("link", name="Samira Bakkali")).to_be_visible()
    assert axe_violations(page) == []

    page.get_by_role("link", name="Contactmoment plannen").first.click()
    yesterday = datetime.now(ZoneInfo("Europe/Amsterdam")).date() - timedelta(days=1)
    page.get_by_label("Wanneer?").fill(yesterday.isoformat())
    page.get_by_label("Waarover?").fill("Vragen hoe de groep bevalt")
    page.get_by_role("button", name="Contactmoment plannen").click()
    page.wait_for_load_state()
    expect(page.locator("#due_on-error")).to_contain_text("Deze datum is al voorbij")
    expect(page.get_by_label("Waarover?")).to_have_value("Vragen hoe de groep bevalt")
    assert axe_violations(page) == []
    _fits(page)
    page.get_by_label("Wanneer?").fill((yesterday + timedelta(days=8)).isoformat())
    page.get_by_role("button", name="Contactmoment plannen").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Contactmoment gepland op").first).to_be_visible()

    page.goto(live_server("/zonder-volgende-stap"))
    expect(page.get_by_text("Alle open trajecten hebben een volgende stap.")).to_be_visible()


def test_volunteer_reports_a_session_that_did_not_happen_on_a_phone(live_server, browser_page):
    from app.extensions import db

    with live_server.app.app_context():
        location = factories.location("Bibliotheek Zuid")
        volunteer, user = factories.volunteer_with_account("Kees", locations=[location])
        user.email = "kees@zuid.example"
        person = factories.participant(first_name="Amal", last_name="Haddad")
        trajectory = factories.trajectory(person, location_obj=location, status="active")
        factories.match(trajectory, volunteer,
                        started_on=datetime.now(ZoneInfo("Europe/Amsterdam")).date()
                        - timedelta(days=20))
        db.session.commit()

    page = browser_page(SMALL_PHONE)
    sign_in(page, live_server, "kees@zuid.example", factories.PASSWORD)
    page.get_by_role("button", name="Ging niet door").click()
    expect(page.get_by_role("heading", name="Bijeenkomst met Amal ging niet door")).to_be_visible()
    assert axe_violations(page) == []
    _fits(page)
    page.get_by_label("Niet gekomen").check()
    page.get_by_role("button", name="Opslaan").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Dank u wel voor het doorgeven.")).to_be_visible()
    expect(page.get_by_text("Ging niet door:").first).to_be_visible()
    assert axe_violations(page) == []
