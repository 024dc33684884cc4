"""Health check, sign-in, sign-out, the sign-in requirement, CSRF and error pages."""

import os

import pytest
import sqlalchemy as sa

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


def test_unknown_page_is_a_dutch_404(client, auth):
    auth.as_role("staff")
    response = client.get("/bestaat-niet")
    assert response.status_code == 404
    assert "Pagina niet gevonden" in response.get_data(as_text=True)


def test_password_is_stored_as_argon2_hash(db):
    user = factories.user("staff")
    db.session.commit()
    stored = db.session.scalar(sa.select(sa.text("password_hash")).select_from(
        sa.table("users")).where(sa.column("id") == user.id))
    assert stored.startswith("$argon2")
    assert factories.PASSWORD not in stored


def test_session_cookie_flags(app):
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


# --- Behind a load balancer ------------------------------------------------------------------

def test_proxy_hops_come_from_the_environment():
    import subprocess
    import sys
    from pathlib import Path

    def hops(env_value):
        env = {k: v for k, v in os.environ.items() if k != "HOUVAST_PROXY_HOPS"}
        if env_value is not None:
            env["HOUVAST_PROXY_HOPS"] = env_value
        return subprocess.run(
            [sys.executable, "-c", "import config; print(config.Config.HOUVAST_PROXY_HOPS)"],
            cwd=Path(__file__).resolve().parent.parent, env=env, capture_output=True,
            text=True, check=True).stdout.strip()

    assert hops(None) == "0"
    assert hops("2") == "2"


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
