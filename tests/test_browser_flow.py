"""The foundation's path in a real browser: a staff member registers a referral, logs the
first contact, plans and holds the intake, and sees it all on the participant page."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser_support import axe_violations, sign_in

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}


def test_referral_contact_intake_in_the_browser(live_server, browser_page):
    from app.extensions import db

    with live_server.app.app_context():
        location = factories.location("Bibliotheek Oost")
        staff = factories.user("staff", email="medewerker@bieb.example", locations=[location])
        partner = factories.partner("UWV Utrecht", kind="uwv")
        factories.partner_contact(partner, name="Karin Smit", email="karin@uwv.example")
        db.session.commit()
        staff_email = staff.email

    page = browser_page(DESKTOP)
    sign_in(page, live_server, staff_email, factories.PASSWORD)
    expect(page.get_by_role("heading", name="Nieuwe aanmeldingen")).to_be_visible()

    # Register the referral.
    page.get_by_role("link", name="Aanmelden", exact=True).first.click()
    page.get_by_label("Voornaam").fill("Samira")
    page.get_by_label("Achternaam").fill("Bakkali")
    page.get_by_label("Telefoonnummer").fill("06 1122 3344")
    page.get_by_label("Geboortejaar").fill("1979")
    page.locator("select[name=partner_id]").select_option(label="UWV Utrecht")
    page.get_by_label("Wat is de vraag? (in gewone woorden)").fill(
        "Wil brieven van de gemeente zelf kunnen lezen."
    )
    page.locator("input[name=processing_consent]").check()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Aanmelding opslaan").click()

    # The participant page shows the new person and the referral.
    expect(page.get_by_role("heading", name="Samira Bakkali")).to_be_visible()
    expect(page.get_by_text("UWV Utrecht").first).to_be_visible()
    expect(page.get_by_text("Wil brieven van de gemeente zelf kunnen lezen.").first).to_be_visible()

    # The referral waits in the work queue.
    page.goto(live_server("/aanmeldingen/"))
    expect(page.get_by_text("Samira Bakkali").first).to_be_visible()
    page.get_by_role("link", name="Contact vastleggen").first.click()

    # First contact: reached.
    page.get_by_label("Bereikt: we hebben gesproken").check()
    page.get_by_label("Notitie (kort)").fill("Gebeld, ze komt graag langs.")
    page.get_by_role("button", name="Opslaan").click()
    page.wait_for_load_state()

    # Plan the intake for tomorrow morning.
    tomorrow = (datetime.now(ZoneInfo("Europe/Amsterdam")).date() + timedelta(days=1))
    page.goto(live_server("/deelnemers/"))
    page.get_by_role("link", name="Samira Bakkali").click()
    page.get_by_role("button", name="Intake plannen").click()
    page.get_by_label("Datum").fill(tomorrow.isoformat())
    page.get_by_label("Tijd").fill("10:00")
    page.get_by_role("button", name="Intake plannen").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Intake gepland").first).to_be_visible()

    # Intake from the participant page.
    page.goto(live_server("/deelnemers/"))
    page.get_by_role("link", name="Samira Bakkali").click()
    page.get_by_role("button", name="Intake invullen").click()
    page.locator("input[name=scale][value=nt2]").check()
    page.locator("select[name=level_speaking]").select_option("A2")
    page.locator("select[name=level_reading]").select_option("A1")
    page.locator("input[name=availability][value=tue-morning]").check()
    page.locator("select[name='goals-0-subject']").select_option("lezen")
    page.locator("select[name='goals-0-context']").select_option("geld")
    page.locator("textarea[name='goals-0-own_words']").fill(
        "Brieven van de gemeente kunnen lezen"
    )
    page.locator("select[name=advised_offer]").select_option("taalmaatje")
    page.locator("select[name=wished_offer]").select_option("taalmaatje")
    page.get_by_role("button", name="Intake opslaan").click()
    page.wait_for_load_state()

    errors = page.locator(".field-error").all_inner_texts()
    assert errors == [], errors
    # Everything is visible on the participant page.
    expect(page.get_by_role("heading", name="Samira Bakkali")).to_be_visible()
    expect(page.get_by_text("Wacht op aanbod").first).to_be_visible()
    expect(page.get_by_text("Brieven van de gemeente kunnen lezen").first).to_be_visible()
    timeline = page.locator("#tijdlijn ~ *").first
    expect(timeline).to_be_visible()
    body = page.content()
    assert "Intakegesprek" in body
    assert "bereikt" in body.lower()
    assert axe_violations(page) == []


def test_the_referral_form_is_sent_once_however_often_it_is_clicked(live_server, browser_page):
    from app.extensions import db

    with live_server.app.app_context():
        staff = factories.user("staff", locations=[factories.location("Bibliotheek Noord")])
        db.session.commit()
        staff_email = staff.email

    page = browser_page(DESKTOP)
    sign_in(page, live_server, staff_email, factories.PASSWORD)
    page.goto(live_server("/aanmeldingen/nieuw"))
    # Count the submits that would leave the page, and keep the page here to look at it.
    page.evaluate("""() => {
        window.sent = 0;
        document.addEventListener("submit", (event) => {
            if (!event.defaultPrevented) { window.sent += 1; }
            event.preventDefault();
        });
    }""")
    button = page.get_by_role("button", name="Aanmelding opslaan")
    button.click()
    # The buttons are switched off just after the submit, so wait for it rather than race it.
    expect(button).to_be_disabled(timeout=2000)
    page.locator("form[data-submit-once]").evaluate("form => form.requestSubmit()")
    assert page.evaluate("window.sent") == 1
