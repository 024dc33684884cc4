"""Health check, sign-in, sign-out, the sign-in requirement, CSRF and error pages."""

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
