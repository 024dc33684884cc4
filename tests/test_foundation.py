"""Health check, sign-in, sign-out, the sign-in requirement, CSRF and error pages."""

import os
import re

import pytest
import sqlalchemy as sa
import time_machine

from . import factories


def test_healthz_reports_database_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_503_when_database_is_unreachable(tmp_path):
    from tests.conftest import make_app

    app = make_app("postgresql+psycopg://nobody@127.0.0.1:1/none", tmp_path)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "error"


def test_sign_in_page_is_dutch(client):
    response = client.get("/inloggen")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="nl">' in html
    assert "Inloggen" in html and "Wachtwoord" in html


@pytest.mark.parametrize("path", ["/", "/deelnemers/", "/aanmeldingen/", "/beheer/", "/logboek/"])
def test_signed_out_visitor_is_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/inloggen")


def test_sign_in_and_out(client, auth, db):
    user = factories.user("staff")
    db.session.commit()
    response = auth.login(user)
    assert response.status_code == 302
    assert client.get("/deelnemers/").status_code == 200
    auth.logout()
    assert client.get("/deelnemers/").status_code == 302


def test_the_admin_sees_when_someone_last_signed_in(client, auth, db):
    user = factories.user("staff", name="Sanne de Balie")
    db.session.commit()
    with time_machine.travel(factories.aware(2026, 11, 23, 8, 30), tick=False):
        assert auth.login(user).status_code == 302
        # Signed out on the clock the session was made on (a moved clock can be earlier).
        auth.logout()

    auth.as_role("admin")
    page = client.get(f"/beheer/gebruikers/{user.id}/").get_data(as_text=True)
    assert "Nog nooit" not in page
    assert "<dd>23 nov 2026 09:30</dd>" in page, "in Amsterdam time"
    log = auth.audit_log()
    assert re.search(r"<td>Sanne de Balie <small>\(.+\)</small></td>\s*<td>ingelogd</td>\s*"
                     r"<td>gebruiker: Sanne de Balie", log)


def test_wrong_password_gives_dutch_message_and_keeps_email(client, db):
    user = factories.user("staff")
    db.session.commit()
    response = client.post("/inloggen", data={"email": user.email, "password": "fout"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "horen niet bij elkaar" in html
    assert f'value="{user.email}"' in html


def test_inactive_user_cannot_sign_in(client, db):
    user = factories.user("staff", active=False)
    db.session.commit()
    response = client.post("/inloggen", data={"email": user.email,
                                               "password": factories.PASSWORD})
    assert response.status_code == 200
    assert "horen niet bij elkaar" in response.get_data(as_text=True)


def test_next_url_cannot_redirect_elsewhere(client, db):
    user = factories.user("staff")
    db.session.commit()
    response = client.post("/inloggen?next=https://evil.example/",
                           data={"email": user.email, "password": factories.PASSWORD})
    assert response.headers["Location"] == "/"


def test_form_without_csrf_token_is_refused(database_url, instance_path, app, db):
    from tests.conftest import make_app

    user = factories.user("staff")
    db.session.commit()
    strict = make_app(database_url, instance_path, WTF_CSRF_ENABLED=True)
    response = strict.test_client().post(
        "/inloggen", data={"email": user.email, "password": factories.PASSWORD}
    )
    assert response.status_code == 400
    assert "Formulier verlopen" in response.get_data(as_text=True)
    with strict.app_context():
        from app.extensions import db as strict_db

        strict_db.engine.dispose()


def test_a_prefixed_form_without_its_csrf_token_is_refused(database_url, instance_path, app,
                                                           db):
    """wapiti reports "Lack of anti CSRF token" for forms with a prefix (its token is called
    status-csrf_token, a name wapiti does not know): the token is there and is checked."""
    import re

    from app.volunteers.models import Volunteer
    from tests.conftest import make_app

    coordinator = factories.user("coordinator")
    volunteer = factories.volunteer(locations=coordinator.locations)
    db.session.commit()
    strict = make_app(database_url, instance_path, WTF_CSRF_ENABLED=True)
    browser = strict.test_client()

    def token(path, name):
        page = browser.get(path).get_data(as_text=True)
        return re.search(rf'name="{name}" type="hidden" value="([^"]+)"', page).group(1)

    signed_in = browser.post("/inloggen", data={
        "csrf_token": token("/inloggen", "csrf_token"), "email": coordinator.email,
        "password": factories.PASSWORD})
    assert signed_in.status_code == 302
    page = f"/vrijwilligers/{volunteer.id}"
    form = {"status-status": "paused", "status-reason": "Op vakantie"}
    refused = browser.post(f"{page}/status", data=form)
    assert refused.status_code == 400
    assert "Formulier verlopen" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Volunteer, volunteer.id).status == "active"
    accepted = browser.post(f"{page}/status",
                            data={**form, "status-csrf_token": token(page, "status-csrf_token")})
    assert accepted.status_code == 302
    db.session.expire_all()
    assert db.session.get(Volunteer, volunteer.id).status == "paused"
    with strict.app_context():
        from app.extensions import db as strict_db

        strict_db.engine.dispose()


def test_unknown_page_is_a_dutch_404(client, auth):
    auth.as_role("staff")
    response = client.get("/bestaat-niet")
    assert response.status_code == 404
    assert "Pagina niet gevonden" in response.get_data(as_text=True)


def test_forbidden_page_is_dutch(client, auth):
    auth.as_role("staff")
    response = client.get("/beheer/")
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert '<html lang="nl">' in html
    assert "Geen toegang" in html and "Forbidden" not in html


@pytest.fixture
def app_with_a_failing_page(database_url, instance_path, app):
    """A fresh app, as in production: exceptions become the 500 page instead of reaching
    the test. It has one extra page that saves half a change and then fails."""
    from app.admin.models import Location
    from app.extensions import db as app_db
    from tests.conftest import make_app

    failing = make_app(database_url, instance_path, PROPAGATE_EXCEPTIONS=False)

    def half_a_change():
        app_db.session.add(Location(name="Half opgeslagen", municipality="Utrecht"))
        app_db.session.flush()
        raise RuntimeError("a bug in the middle of a change")

    failing.add_url_rule("/test-only/fout", "test_only_failure", half_a_change)
    yield failing
    with failing.app_context():
        app_db.engine.dispose()


def test_server_error_is_a_calm_dutch_page_and_saves_nothing(app_with_a_failing_page, db):
    from app.admin.models import Location

    staff = factories.user("staff")
    db.session.commit()
    client = app_with_a_failing_page.test_client()
    client.post("/inloggen", data={"email": staff.email, "password": factories.PASSWORD})
    response = client.get("/test-only/fout")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert '<html lang="nl">' in html
    assert "Er ging iets mis" in html and "niets half opgeslagen" in html
    assert "Internal Server Error" not in html and "RuntimeError" not in html
    assert factories.count(Location, Location.name == "Half opgeslagen") == 0
    # The next request gets a clean session.
    assert client.get("/deelnemers/").status_code == 200


def _database_down_app(tmp_path):
    from tests.conftest import make_app

    # Nothing listens on port 1: every query fails as when the database server is down.
    return make_app("postgresql+psycopg://nobody@127.0.0.1:1/none", tmp_path,
                    PROPAGATE_EXCEPTIONS=False)


def test_server_error_page_needs_no_database_for_a_signed_in_user(client, auth, tmp_path):
    # Signed in while the database was up; the next page (which loads the user and the
    # menu) comes while it is down.
    auth.as_role("staff")
    down = _database_down_app(tmp_path).test_client()
    down.set_cookie("session", client.get_cookie("session").value)
    response = down.get("/deelnemers/")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert '<html lang="nl">' in html and "Er ging iets mis" in html
    assert "Internal Server Error" not in html
    assert "Uitloggen" not in html, "no menu: it would need the signed-in user"


def test_server_error_page_needs_no_database_for_the_public_form(tmp_path):
    down = _database_down_app(tmp_path).test_client()
    response = down.post("/aanmelden", data={"first_name": "Fatima", "phone": "0612345678",
                                             "question": "Lezen", "website": ""})
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Er ging iets mis" in html and "Internal Server Error" not in html


def test_password_is_stored_as_argon2_hash(db):
    user = factories.user("staff")
    db.session.commit()
    stored = db.session.scalar(sa.select(sa.text("password_hash")).select_from(
        sa.table("users")).where(sa.column("id") == user.id))
    assert stored.startswith("$argon2")
    assert factories.PASSWORD not in stored


def _config_in_fresh_process(env_changes: dict, *names: str) -> dict:
    """Config values as a server started with these environment variables would read them
    (config.py reads the environment once, at import)."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if k not in env_changes}
    env.update({k: v for k, v in env_changes.items() if v is not None})
    code = ("import json, config; "
            f"print(json.dumps({{n: getattr(config.Config, n) for n in {list(names)!r}}}))")
    result = subprocess.run(  # noqa: S603 (this interpreter, our own fixed code)
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
        cwd=Path(__file__).resolve().parent.parent)
    return json.loads(result.stdout)


COOKIE_SETTINGS = ("SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE")


@pytest.mark.parametrize(("flask_debug", "secure"), [(None, True), ("1", False)])
def test_session_cookie_header_flags(database_url, instance_path, app, db, flask_debug,
                                     secure):
    """The Set-Cookie header of a sign-in: HttpOnly and SameSite=Lax always, Secure unless
    the server runs in debug mode (the local development server speaks plain http)."""
    from app.extensions import db as app_db
    from tests.conftest import make_app

    settings = _config_in_fresh_process({"FLASK_DEBUG": flask_debug}, *COOKIE_SETTINGS)
    served = make_app(database_url, instance_path, **settings)
    staff = factories.user("staff")
    db.session.commit()
    try:
        response = served.test_client().post(
            "/inloggen", data={"email": staff.email, "password": factories.PASSWORD})
    finally:
        with served.app_context():
            app_db.engine.dispose()
    assert response.status_code == 302
    (cookie,) = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    flags = {part.strip().split("=")[0].lower(): part.strip()
             for part in cookie.split(";")[1:]}
    assert "httponly" in flags
    assert flags.get("samesite") == "SameSite=Lax"
    assert ("secure" in flags) is secure


# --- Behind a load balancer ------------------------------------------------------------------

def test_proxy_hops_come_from_the_environment():
    def hops(value):
        return _config_in_fresh_process({"HOUVAST_PROXY_HOPS": value},
                                        "HOUVAST_PROXY_HOPS")["HOUVAST_PROXY_HOPS"]

    assert hops(None) == 0
    assert hops("2") == 2


def _audit_address_of_a_view(db, client) -> str:
    """Sign in and open a participant page through a load balancer at 10.0.0.1 for the
    visitor 203.0.113.7; the address the audit log recorded for that view."""
    from app.audit.models import AuditEvent

    location = factories.location()
    staff = factories.user("staff", locations=[location])
    trajectory = factories.trajectory(location_obj=location)
    db.session.commit()
    through_proxy = {"environ_base": {"REMOTE_ADDR": "10.0.0.1"},
                     "headers": {"X-Forwarded-For": "203.0.113.7"}}
    signed_in = client.post("/inloggen", data={"email": staff.email,
                                               "password": factories.PASSWORD},
                            **through_proxy)
    assert signed_in.status_code == 302
    page = client.get(f"/deelnemers/{trajectory.participant_id}", **through_proxy)
    assert page.status_code == 200
    return db.session.scalar(sa.select(AuditEvent.ip).where(
        AuditEvent.action == "view", AuditEvent.object_type == "participant"))


def test_behind_one_proxy_the_audit_log_records_the_visitor(database_url, instance_path,
                                                             app, db):
    from tests.conftest import make_app

    proxied = make_app(database_url, instance_path, HOUVAST_PROXY_HOPS=1)
    try:
        assert _audit_address_of_a_view(db, proxied.test_client()) == "203.0.113.7"
    finally:
        with proxied.app_context():
            from app.extensions import db as proxied_db

            proxied_db.engine.dispose()


def test_without_proxy_hops_the_audit_log_ignores_forwarded_for(db, client):
    # Anyone can send the header; without a trusted proxy it says nothing.
    assert _audit_address_of_a_view(db, client) == "10.0.0.1"
