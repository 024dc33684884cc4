"""The privacy page in a real browser: reached from self-registration, accessible, and on
paper without the menu, the footer or the buttons."""

import pytest
from playwright.sync_api import expect

from tests.browser_support import axe_violations

pytestmark = pytest.mark.browser


def test_privacy_page_from_self_registration_accessible_and_printable(live_server,
                                                                       browser_page):
    page = browser_page()
    page.goto(live_server("/aanmelden"))
    page.get_by_role("link", name="Lees wat wij met uw gegevens doen.").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Wat doen wij met uw gegevens?")
    assert axe_violations(page) == []

    # The script shows the button; it opens the browser's print window.
    button = page.get_by_role("button", name="Printen")
    expect(button).to_be_visible()
    # (Ending on a number: Playwright would call a function the expression ends with.)
    page.evaluate("window.print = function () { window.printed += 1; }; window.printed = 0")
    button.click()
    assert page.evaluate("window.printed") == 1

    page.emulate_media(media="print")
    expect(page.locator("footer")).to_be_hidden()
    expect(page.locator("header")).to_be_hidden()
    expect(button).to_be_hidden()
    expect(page.get_by_role("heading", name="Wat mag u?")).to_be_visible()
    size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.privacy-page'))"
                         ".fontSize)")
    assert size >= 18  # 14pt is 18.7px: large enough for the intake's reader
