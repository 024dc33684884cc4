"""Ownership in a real browser on a 375 px phone: a coordinator hands two trajectories to a
colleague with the keyboard only, and moves one to another location."""

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser_support import axe_violations, sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}


def test_hand_over_by_keyboard_and_move_on_a_phone(live_server, browser_page):
    from app.extensions import db

    with live_server.app.app_context():
        centrum = factories.location("Bibliotheek Centrum West")
        zeist = factories.location("Bibliotheek Zeist")
        anna = factories.user("coordinator", name="Anna de Boer", email="anna@bieb.example",
                              locations=[centrum])
        factories.user("coordinator", name="Bram Visser", locations=[centrum])
        factories.user("coordinator", name="Erik Zeist", locations=[zeist])
        zeist.owner_mode = "rotation"
        for first_name, phone in (("Samira", "06-30000001"), ("Olga", "06-30000002")):
            factories.trajectory(factories.participant(first_name, "Testperson", phone=phone),
                                 location_obj=centrum, owner=anna)
        db.session.commit()

    page = browser_page(PHONE)
    sign_in(page, live_server, "anna@bieb.example", factories.PASSWORD)
    page.goto(live_server("/deelnemers/"))
    # Keyboard only: tick both rows, choose the colleague, send.
    page.get_by_label("Kies Olga Testperson").focus()
    page.keyboard.press("Space")
    page.get_by_label("Kies Samira Testperson").focus()
    page.keyboard.press("Space")
    page.get_by_label("Overdragen aan").focus()
    page.get_by_label("Overdragen aan").select_option(label="Bram Visser")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Overdragen").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("2 traject(en) overgedragen aan Bram Visser.")).to_be_visible()

    # Move Samira to Zeist: the same location first gets a message at the field.
    page.get_by_role("link", name="Samira Testperson").click()
    page.get_by_role("button", name="Naar een andere locatie").click()
    page.get_by_label("Nieuwe locatie", exact=True).select_option(label="Bibliotheek Centrum West")
    page.get_by_label("Waarom verhuist het traject?").fill("Verhuisd naar Zeist")
    page.get_by_role("button", name="Traject verhuizen").click()
    expect(page.get_by_text("Het traject is al van deze locatie.")).to_be_visible()
    expect(page.get_by_label("Waarom verhuist het traject?")).to_have_value("Verhuisd naar Zeist")
    assert axe_violations(page) == []
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    page.get_by_label("Nieuwe locatie", exact=True).select_option(label="Bibliotheek Zeist")
    page.get_by_role("button", name="Traject verhuizen").click()
    expect(page.get_by_text("Het traject is verhuisd naar Bibliotheek Zeist.")).to_be_visible()
