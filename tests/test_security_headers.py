"""Security headers on every response (issue 19, "Headers and limits"), and a `make run`
without the Werkzeug debugger."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from app.api.service import create_token

from . import factories
from .conftest import make_app
from .route_walk import walk

NOW = factories.aware(2026, 11, 23, 10, 0)
ROOT = Path(__file__).resolve().parent.parent
# Our own Makefile, read with fixed arguments.
MAKE = shutil.which("make") or "/usr/bin/make"

CSP_DIRECTIVES = ("default-src 'self'", "script-src 'self'", "style-src 'self'",
                  "object-src 'none'", "base-uri 'self'", "form-action 'self'",
                  "frame-ancestors 'none'")


def _missing_headers(headers: dict, *, personal: bool = True) -> list[str]:
    missing = []
    csp = headers.get("Content-Security-Policy", "")
    missing += [f"CSP {d}" for d in CSP_DIRECTIVES if d not in csp]
    if "unsafe-inline" in csp or "unsafe-eval" in csp:
        missing.append("CSP without unsafe-*")
    if headers.get("X-Content-Type-Options") != "nosniff":
        missing.append("nosniff")
    if headers.get("Referrer-Policy") != "same-origin":
        missing.append("Referrer-Policy")
    if headers.get("X-Frame-Options") != "DENY":
        missing.append("X-Frame-Options")
    if headers.get("X-XSS-Protection") != "0":
        missing.append("X-XSS-Protection: 0")
    if personal and "no-store" not in headers.get("Cache-Control", ""):
        missing.append("Cache-Control: no-store")
    return missing


def test_every_route_of_the_signed_in_app_has_the_headers(app, db, frozen):
    result = walk(app, db)
    bad = [(endpoint, v.role, v.status, v.path, _missing_headers(v.headers))
           for endpoint, visits in result.visits.items() for v in visits
           if _missing_headers(v.headers)]
    assert not bad, bad
    # The walk saw pages, refusals and redirects alike (the hook is on every response).
    statuses = {v.status for visits in result.visits.values() for v in visits}
    assert {200, 302, 403, 404} <= statuses


def test_the_api_and_error_pages_have_the_headers(client, db):
    _record, token = create_token(factories.partner(), "Zaaksysteem", None, NOW)
    db.session.commit()
    auth = {"Authorization": f"Bearer {token}"}
    for response in (client.get("/api/v1/referrals", headers=auth),
                     client.get("/api/v1/locations", headers=auth),
                     client.get("/api/v1/referrals"),
                     client.post("/api/v1/referrals", data="{", headers=auth),
                     client.get("/bestaat-niet"),
                     client.get("/inloggen"),
                     client.get("/wachtwoord/ongeldig"),
                     client.get("/aanmelden")):
        assert _missing_headers(dict(response.headers)) == [], response.request.path


def test_static_files_stay_cacheable(client):
    response = client.get("/static/css/houvast.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
    assert _missing_headers(dict(response.headers), personal=False) == []
    response.close()


def test_hsts_only_over_https(app, client):
    assert "Strict-Transport-Security" not in client.get("/inloggen").headers
    secure = client.get("/inloggen", base_url="https://houvast.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=63072000")


def test_hsts_behind_a_proxy_that_speaks_https(database_url, tmp_path):
    proxied = make_app(database_url, tmp_path / "instance", HOUVAST_PROXY_HOPS=1)
    client = proxied.test_client()
    response = client.get("/inloggen", headers={"X-Forwarded-Proto": "https"})
    assert "max-age=" in response.headers["Strict-Transport-Security"]
    assert "Strict-Transport-Security" not in client.get("/inloggen").headers


# --- No inline scripts or styles in the web pages (the CSP would block them) -------------

INLINE = re.compile(r"""<style|<script(?![^>]*\ssrc=)|\sstyle\s*=|\son[a-z]+\s*=""",
                    re.IGNORECASE)


def test_web_templates_carry_no_inline_script_or_style():
    found = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        if "mail" in path.relative_to(ROOT / "templates").parts:
            continue  # e-mails: no CSP applies, and mail programs need inline styles
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if INLINE.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)


# --- `make run` has no debugger ---------------------------------------------------------

def test_make_run_starts_without_the_debugger_and_make_dev_with_it():
    run = subprocess.run([MAKE, "-n", "run"], cwd=ROOT, capture_output=True,  # noqa: S603
                         text=True, check=True).stdout
    serve = [line for line in run.splitlines() if " run " in line and "flask" in line]
    assert serve and all("FLASK_DEBUG" not in line and "--debug" not in line
                         for line in serve), run
    dev = subprocess.run([MAKE, "-n", "dev"], cwd=ROOT, capture_output=True,  # noqa: S603
                         text=True, check=True).stdout
    assert "FLASK_DEBUG=1" in dev


@pytest.fixture
def production_like_app(database_url, tmp_path, monkeypatch):
    """The app as `make run` builds it: config from the environment, no FLASK_DEBUG."""
    from config import Config

    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    config = {k: getattr(Config, k) for k in dir(Config) if k.isupper()}
    # Only what a test run must not share with a real server: database, key, no scheduler.
    config.update(SQLALCHEMY_DATABASE_URI=database_url, SECRET_KEY="x" * 32,
                  SCHEDULER_IN_WEB=False, MAIL_SERVER=None)
    monkeypatch.setenv("HOUVAST_INSTANCE_PATH", str(tmp_path / "instance"))
    from app import create_app
    from app.auth.session import public

    app = create_app(config)
    assert not app.debug and not app.testing

    # A page that fails the way a bug would: added to this app only.
    @app.get("/kapot")
    @public
    def broken():
        raise RuntimeError("geheime-broncode-regel")

    return app


def test_a_make_run_app_has_no_console_and_shows_no_source(production_like_app):
    client = production_like_app.test_client()
    assert client.get("/console").status_code == 404
    response = client.get("/kapot")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Er ging iets mis" in html
    assert "geheime-broncode-regel" not in html and "Traceback" not in html
    assert _missing_headers(dict(response.headers)) == []
