"""Sessions end on the server (issue 19, "Sessies"): the observed case was a copied session
cookie that kept working after sign-out, a password change, deactivation and reactivation.

Each test signs in with one test client, copies its session cookie into a second client
(someone who copied the cookie), and checks when that copy stops working."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import sqlalchemy as sa

from app.admin.service import password_link
from app.audit.labels import event_text
from app.audit.models import AuditEvent
from app.auth import security_settings, server_sessions
from app.auth.models import UserSession

from . import factories

NOW = factories.aware(2026, 11, 23, 9, 0)
NEW_PASSWORD = "Paarse giraf eet 7 tulpen"
# A page every role may open.
HOME = "/mijn-account"


def _copy(app, client):
    """A second browser with the first one's session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def _signed_in(client, path: str = HOME) -> bool:
    response = client.get(path)
    assert response.status_code in (200, 302), response.status_code
    return response.status_code == 200


def _open_rows(db, user) -> list[UserSession]:
    return list(db.session.scalars(sa.select(UserSession).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None))))


def test_a_copied_cookie_works_until_sign_out_and_not_after(app, client, auth, db, frozen):
    user = auth.as_role("coordinator")
    thief = _copy(app, client)
    assert _signed_in(thief)

    auth.logout()

    assert not _signed_in(thief)
    assert thief.get(HOME).headers["Location"].startswith("/inloggen")
    # Only the hash of the token is in the database; the cookie's token is not.
    [row] = db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id))
    assert (row.ended_reason, len(row.token_hash)) == ("afgemeld", 64)


def test_a_new_password_ends_every_session(app, client, auth, db, frozen):
    user = auth.as_role("staff")
    thief = _copy(app, client)
    other = app.test_client()
    assert auth.login(user).status_code == 302 and _signed_in(thief)

    path = urlsplit(password_link(user)).path
    db.session.commit()
    response = other.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302

    assert not _signed_in(thief) and not _signed_in(client)
    assert _open_rows(db, user) == []


def test_deactivation_ends_sessions_and_reactivation_does_not_bring_them_back(
        app, client, auth, db, frozen):
    user = auth.as_role("volunteer")
    thief = _copy(app, client)
    admin_browser = app.test_client()
    admin = factories.user("admin")
    db.session.commit()
    assert admin_browser.post("/inloggen", data={"email": admin.email,
                                                 "password": factories.PASSWORD}).status_code == 302

    admin_browser.post(f"/beheer/gebruikers/{user.id}/uitzetten")
    assert not _signed_in(thief)
    admin_browser.post(f"/beheer/gebruikers/{user.id}/aanzetten")

    assert not _signed_in(thief) and not _signed_in(client)
    [row] = db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id))
    assert row.ended_reason == "gedeactiveerd"
    # Reactivated, the user signs in again as normal.
    assert auth.login(user).status_code == 302 and _signed_in(client)


def test_a_two_factor_reset_ends_every_session(app, client, auth, db, frozen):
    user = auth.as_role("admin")
    thief = _copy(app, client)
    assert _signed_in(thief)

    # What the admin's reset of someone's two factors does (the two-factor part's route).
    assert server_sessions.end_all(user, NOW, "2fa-reset") == 1
    db.session.commit()

    assert not _signed_in(thief) and not _signed_in(client)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "logout"))
    assert event_text(event.action, event.object_type, event.summary) == (
        "gebruiker afgemeld: sessies beëindigd (1): inloggen met code opnieuw ingesteld")


def test_idle_for_30_minutes_signs_out_and_activity_keeps_the_session(
        app, client, auth, db, frozen):
    auth.as_role("coordinator")
    thief = _copy(app, client)
    # Used every 29 minutes for two hours: still signed in.
    for _step in range(4):
        frozen.shift(timedelta(minutes=29))
        assert _signed_in(client)

    frozen.shift(timedelta(minutes=31))

    response = thief.get("/deelnemers/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/afgemeld?")
    assert not _signed_in(client)


def test_the_idle_limit_is_the_setting_and_the_same_for_every_role(app, client, auth, db,
                                                                     frozen):
    security_settings.save("session_idle_minutes", 10, None)
    db.session.commit()
    for role in ("admin", "coordinator", "staff", "volunteer", "partner"):
        browser = app.test_client()
        user = factories.user(role)
        db.session.commit()
        browser.post("/inloggen", data={"email": user.email, "password": factories.PASSWORD})
        frozen.shift(timedelta(minutes=9))
        assert _signed_in(browser), role
        frozen.shift(timedelta(minutes=11))
        assert not _signed_in(browser), role


def test_twelve_hours_after_sign_in_the_session_ends_however_busy(app, client, auth, db,
                                                                   frozen):
    auth.as_role("staff")
    thief = _copy(app, client)
    for _step in range(int(12 * 60 / 20) - 1):
        frozen.shift(timedelta(minutes=20))
        assert _signed_in(client)
    assert _signed_in(thief)

    frozen.shift(timedelta(minutes=20))

    response = client.get("/deelnemers/")
    assert response.headers["Location"].startswith("/afgemeld?")
    assert parse_qs(urlsplit(response.headers["Location"]).query)["reden"] == ["verlopen"]
    assert not _signed_in(thief)


def test_signed_out_page_says_why_and_signing_in_returns_to_the_page(app, client, auth, db,
                                                                        frozen):
    user = auth.as_role("coordinator")
    frozen.shift(timedelta(minutes=45))

    response = client.get("/deelnemers/?q=Jan")
    location = response.headers["Location"]
    assert parse_qs(urlsplit(location).query) == {"reden": ["inactief"],
                                                  "next": ["/deelnemers/?q=Jan"]}
    page = client.get(location).get_data(as_text=True)
    assert "U bent afgemeld" in page
    assert "30 minuten niets gedaan" in page
    assert 'href="/inloggen?next=/deelnemers/?q%3DJan"' in page

    again = client.post("/inloggen?next=/deelnemers/?q%3DJan",
                        data={"email": user.email, "password": factories.PASSWORD})
    assert again.headers["Location"] == "/deelnemers/?q=Jan"
    assert _signed_in(client, "/deelnemers/?q=Jan")


def test_a_form_sent_after_the_idle_limit_returns_to_the_page_it_was_on(app, client, auth,
                                                                       db, frozen):
    auth.as_role("coordinator")
    frozen.shift(timedelta(hours=1))

    response = client.post("/uitloggen", headers={"Referer": "http://localhost/mijn-account"})

    assert parse_qs(urlsplit(response.headers["Location"]).query)["next"] == ["/mijn-account"]


def test_the_signed_out_page_never_sends_elsewhere(client):
    page = client.get("/afgemeld?reden=inactief&next=https://evil.example/").get_data(
        as_text=True)
    assert "U bent afgemeld" in page and "evil.example" not in page


def test_last_seen_is_written_at_most_once_a_minute(app, client, auth, db, frozen,
                                                     count_queries):
    user = auth.as_role("staff")
    [row] = _open_rows(db, user)
    started = row.last_seen_at

    with count_queries() as statements:
        for _step in range(5):
            frozen.shift(timedelta(seconds=10))
            assert _signed_in(client)
    assert not [s for s in statements if s.lstrip().upper().startswith("UPDATE USER_SESSIONS")]
    db.session.expire_all()
    assert _open_rows(db, user)[0].last_seen_at == started

    frozen.shift(timedelta(seconds=15))
    assert _signed_in(client)
    db.session.expire_all()
    assert _open_rows(db, user)[0].last_seen_at == started + timedelta(seconds=65)


def test_a_remember_cookie_does_not_sign_anyone_in(app, client, auth, db, frozen):
    from flask_login.utils import encode_cookie

    user = auth.as_role("admin")
    auth.logout()
    stranger = app.test_client()
    stranger.set_cookie(app.config.get("REMEMBER_COOKIE_NAME", "remember_token"),
                        encode_cookie(str(user.id)))

    assert not _signed_in(stranger)
    assert not _signed_in(client)


def test_ending_all_other_sessions_keeps_this_one(app, client, auth, db, frozen):
    """What a password change on the user's own page does (the sign-in part's form)."""
    user = auth.as_role("coordinator")
    elsewhere = app.test_client()
    assert elsewhere.post("/inloggen", data={"email": user.email,
                                             "password": factories.PASSWORD}).status_code == 302
    cookie = app.session_interface.get_signing_serializer(app).loads(
        client.get_cookie("session").value)

    with app.test_request_context("/mijn-account"):
        from flask import session

        session[server_sessions.SESSION_KEY] = cookie[server_sessions.SESSION_KEY]
        assert server_sessions.end_all(user, NOW, "wachtwoord", except_current=True) == 1
        db.session.commit()

    assert _signed_in(client) and not _signed_in(elsewhere)
