"""Fixtures for browser tests: the app served in a thread, and Chromium through Playwright.

conftest.py registers this module as a plugin: a test names the fixtures it wants and
imports the helpers (`sign_in`, `axe_violations`).

- `live_server`: the app on a file-based SQLite database built by the migrations, served by
  `werkzeug.serving.make_server` in a thread (not a forked process, so the test can add data
  through the same code). It has `.url` and `.app`; use `with live_server.app.app_context():`
  to add records with the factories, and commit.
- `browser_page(viewport=None)`: a factory; each call opens a fresh browser context (its own
  cookies, so two users can be signed in at once) and returns its page.
- `axe_violations(page)`: the serious and critical accessibility problems axe finds on the
  page, as (rule id, elements); a page passes with [].

Without /usr/bin/chromium the tests are skipped with a clear message, unless
HOUVAST_REQUIRE_BROWSER=1 (CI), where a missing browser is a failure.
"""

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
PHONE = {"width": 390, "height": 844}
MISSING = "Chromium niet gevonden: browsertest overgeslagen (apt-get install -y chromium)"


@dataclass
class LiveServer:
    url: str
    app: object

    def __call__(self, path: str = "/") -> str:
        return self.url + path


def _require_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("HOUVAST_REQUIRE_BROWSER") == "1":
        pytest.fail(MISSING)
    pytest.skip(MISSING)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from app.extensions import db
    from tests.conftest import make_app

    _require_chromium()
    folder = tmp_path_factory.mktemp("live")
    previous_instance = os.environ.get("HOUVAST_INSTANCE_PATH")
    # CSRF on, as in real use: the browser submits the tokens the pages carry.
    app = make_app(f"sqlite:///{folder / 'live.sqlite'}", folder / "instance",
                   WTF_CSRF_ENABLED=True)
    with app.app_context():
        upgrade()
        # As in the other tests (conftest empties the table): two factors are off unless a
        # test switches them on; migration 0019 requires them for admins and coordinators.
        from app.checkins.models import FollowUpSetting

        db.session.query(FollowUpSetting).delete()
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()
        if previous_instance is not None:
            os.environ["HOUVAST_INSTANCE_PATH"] = previous_instance


@pytest.fixture(scope="module")
def browser():
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def browser_page(browser):
    contexts = []

    def open_page(viewport: dict | None = None):
        context = browser.new_context(viewport=viewport or PHONE, locale="nl-NL",
                                      timezone_id="Europe/Amsterdam")
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def sign_in(page, live: LiveServer, email: str, password: str) -> None:
    page.goto(live("/inloggen"))
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(password)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_load_state()


def axe_violations(page) -> list[tuple[str, list]]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [(v["id"], [n["target"] for n in v["nodes"]]) for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")]
