"""Inzage, "Wie keek er?" and the audit log in a real browser: the coordinator goes from the
participant page to the inzage, which prints without the app around it, and to the list of
who looked; the admin filters the log and gets a calm message for a wrong date. Every page
axe-clean."""

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
        admin = factories.user("admin", email="ada@taalhuis.example")
        db.session.commit()
        return {"person": world["person"].id, "coordinator": world["coordinator"].email,
                "admin": admin.email}


def test_inzage_who_looked_and_the_log(live_server, browser_page):
    world = _world(live_server)
    page = browser_page(PHONE)
    sign_in(page, live_server, world["coordinator"], factories.PASSWORD)
    page.goto(live_server(f"/deelnemers/{world['person']}"))
    page.get_by_role("link", name="Inzage: alles wat wij over deze persoon weten").click()
    expect(page.get_by_role("heading", name="Wat het Taalhuis over u weet")).to_be_visible()
    expect(page.get_by_text("Brieven van de gemeente kunnen lezen").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert axe_violations(page) == []
    page.emulate_media(media="print")
    expect(page.locator("header")).to_be_hidden()
    expect(page.locator("footer")).to_be_hidden()
    expect(page.get_by_role("link", name="Download als PDF")).to_be_hidden()
    expect(page.get_by_role("heading", name="Uw gegevens")).to_be_visible()
    page.emulate_media(media="screen")

    page.get_by_role("link", name="Terug naar de deelnemer").click()
    page.get_by_role("link", name="Wie keek er?").click()
    expect(page.get_by_role("heading", name="Wie keek er?")).to_be_visible()
    expect(page.get_by_role("cell", name="inzage gedownload of geprint: om te printen")
           ).to_be_visible()
    assert axe_violations(page) == []

    admin = browser_page(PHONE)
    sign_in(admin, live_server, world["admin"], factories.PASSWORD)
    admin.goto(live_server("/logboek/?van=gisteren"))
    expect(admin.get_by_text("Vul een datum in, bijvoorbeeld 20-11-2026.")).to_be_visible()
    assert axe_violations(admin) == []
    admin.goto(live_server("/logboek/"))
    admin.get_by_label("Deelnemer (naam of nummer)").fill("Fatima")
    admin.get_by_role("button", name="Zoeken").click()
    expect(admin.get_by_role("link", name="Fatima El Amrani").first).to_be_visible()
    assert axe_violations(admin) == []
