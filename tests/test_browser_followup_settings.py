"""The thresholds page in a real browser on a 375 px phone, keyboard only: a value out of
range gets its message at the field, then "buiten beeld na" goes from 6 to 4 weeks."""

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser_support import axe_violations, sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}


def test_an_admin_changes_buiten_beeld_na_by_keyboard_on_a_phone(live_server, browser_page):
    from app.extensions import db

    with live_server.app.app_context():
        factories.user("admin", name="Ada Beheer", email="ada@bieb.example")
        db.session.commit()

    page = browser_page(PHONE)
    sign_in(page, live_server, "ada@bieb.example", factories.PASSWORD)
    page.goto(live_server("/beheer/opvolgregels/termijnen"))
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    field = page.get_by_label("Buiten beeld na", exact=True)
    field.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("3")
    page.get_by_role("button", name="Opslaan").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Kies een getal van 7 tot 365 dagen.")).to_be_visible()
    expect(field).to_have_value("3")
    assert axe_violations(page) == []

    field.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("28")
    page.get_by_role("button", name="Opslaan").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Buiten beeld na", exact=True)).to_have_value("28")
    page.goto(live_server("/buiten-beeld"))
    expect(page.get_by_text("4 weken of langer geen contact")).to_be_visible()
