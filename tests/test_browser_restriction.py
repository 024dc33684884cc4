"""Restriction and erasure in a real browser, on a phone: the coordinator records that the
person withdrew "gegevens vastleggen", finds them again on Verwerking beperkt, asks for the
erasure; an admin confirms it. Every page on the way is axe-clean."""

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser_support import axe_violations, sign_in
from tests.test_inzage import _person

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def _world(live):
    from app.extensions import db

    with live.app.app_context():
        world = _person()
        world["coordinator"].email = "carla@taalhuis.example"
        admin = factories.user("admin", email="ada@taalhuis.example", name="Ada Beheer")
        db.session.commit()
        return {"person": world["person"].id, "coordinator": world["coordinator"].email,
                "admin": admin.email}


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert axe_violations(page) == []


def test_withdraw_find_again_and_erase_with_four_eyes(live_server, browser_page):
    world = _world(live_server)
    page = browser_page(PHONE)
    sign_in(page, live_server, world["coordinator"], factories.PASSWORD)
    page.goto(live_server(f"/deelnemers/{world['person']}"))
    page.get_by_role("link", name="Toestemming geven of intrekken").click()
    page.get_by_label("Waarvoor").select_option(label="Gegevens vastleggen door het Taalhuis")
    page.get_by_label("Nee").check()
    page.get_by_label("Hoe is de toestemming gegeven?").select_option(index=1)
    page.get_by_role("button", name="Toestemming vastleggen").click()

    # The page of the person: the banner and the two ways out, nothing else.
    expect(page.get_by_text("Verwerking beperkt op")).to_be_visible()
    expect(page.get_by_role("link", name="Toestemming opnieuw vastleggen")).to_be_visible()
    expect(page.get_by_text("Brieven van de gemeente kunnen lezen")).to_have_count(0)
    _fits(page)

    # Gone from Deelnemers; found again on its own list.
    page.goto(live_server("/deelnemers/"))
    expect(page.get_by_role("main").get_by_role("link", name="Fatima El Amrani")).to_have_count(0)
    page.get_by_role("link", name="Verwerking beperkt").click()
    expect(page.get_by_role("heading", name="Verwerking beperkt")).to_be_visible()
    _fits(page)
    page.get_by_role("link", name="Fatima El Amrani").click()
    page.get_by_role("link", name="Gegevens wissen").click()
    expect(page.get_by_role("heading", name="Gegevens van Fatima El Amrani wissen")).to_be_visible()
    _fits(page)
    page.get_by_role("button", name="Ja, vraag het wissen aan").click()
    expect(page.get_by_text("Een beheerder moet het nog bevestigen").first).to_be_visible()

    admin = browser_page(PHONE)
    sign_in(admin, live_server, world["admin"], factories.PASSWORD)
    admin.goto(live_server("/beheer/wissen/"))
    expect(admin.get_by_role("cell", name="Fatima El Amrani", exact=True)).to_be_visible()
    _fits(admin)
    admin.get_by_role("link", name="Bekijken").click()
    _fits(admin)
    admin.get_by_role("button", name="Bevestigen en nu wissen").click()
    expect(admin.get_by_text("Er wacht niets.")).to_be_visible()

    page.goto(live_server(f"/deelnemers/{world['person']}/wissen"))
    expect(page.get_by_text("zijn gewist op")).to_be_visible()
    expect(page.get_by_text("El Amrani")).to_have_count(0)
