"""Two-factor sign-in in a real browser on a phone (issue 19), CSRF on: an admin, for whom
it is required, must set it up at sign-in (QR code as SVG in the page), keeps the recovery
codes, signs in next time with one of them and trusts the browser, and after that gets in
with the password alone."""

import re

import pyotp
import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser_support import axe_violations, sign_in

pytestmark = pytest.mark.browser


def test_an_admin_sets_up_two_factors_and_trusts_the_browser(live_server, browser_page):
    from app.auth import security_settings
    from app.extensions import db

    with live_server.app.app_context():
        factories.user("admin", name="Ada Beheer", email="ada2fa@bieb.example")
        security_settings.save("two_factor_admin", 1, None)
        db.session.commit()

    page = browser_page()
    sign_in(page, live_server, "ada2fa@bieb.example", factories.PASSWORD)
    expect(page.get_by_role("heading", name="Inloggen met code instellen")).to_be_visible()
    expect(page.locator("svg.qr-code")).to_be_visible()
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    secret = page.locator("code.totp-secret").inner_text().replace(" ", "")
    page.get_by_label("De code die uw app nu laat zien").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Aanzetten").click()

    expect(page.get_by_role("heading", name="Uw herstelcodes")).to_be_visible()
    codes = [c for c in page.locator("ul.recovery-codes code").all_inner_texts()
             if re.fullmatch(r"[a-z0-9]{5}-[a-z0-9]{5}", c)]
    assert len(codes) == 10
    assert axe_violations(page) == []
    page.get_by_role("button", name="Ik heb de codes bewaard, ga verder").click()
    page.get_by_role("button", name="Uitloggen").click()
    expect(page.get_by_text("U bent uitgelogd.")).to_be_visible()

    sign_in(page, live_server, "ada2fa@bieb.example", factories.PASSWORD)
    expect(page.get_by_role("heading", name="Code invullen")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label("Code", exact=True).fill(codes[0])
    page.get_by_label("Vertrouw dit apparaat 30 dagen").check()
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_text("U hebt een herstelcode gebruikt. U hebt er nog 9.")).to_be_visible()
    page.get_by_role("button", name="Uitloggen").click()

    # The trusted browser: the password is enough for 30 days.
    sign_in(page, live_server, "ada2fa@bieb.example", factories.PASSWORD)
    expect(page.get_by_role("button", name="Uitloggen")).to_be_visible()
    page.goto(live_server("/mijn-account"))
    expect(page.get_by_text("U hebt nog 9 herstelcodes.")).to_be_visible()
    expect(page.get_by_text("U vertrouwt 1 apparaat.")).to_be_visible()
