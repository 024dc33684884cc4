"""Two-factor sign-in (issue 19): the code step after the password, replay and throttling,
recovery codes, trusted devices, and the set-up a required role cannot skip."""

import re
from datetime import timedelta

import pyotp
import sqlalchemy as sa

from app.audit.models import AuditEvent
from app.auth import security_settings
from app.auth.models import RecoveryCode, TrustedDevice
from app.auth.twofactor import TRUST_COOKIE

from . import factories

NOW = factories.aware(2026, 11, 23, 10, 0)

CODE_PAGE = "/inloggen/code"
FORCED_SETUP = "/inloggen/code-instellen"
RECOVERY = re.compile(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>")


def _with_two_factor(db, role="staff"):
    user = factories.user(role)
    user.totp_secret = pyotp.random_base32()
    user.totp_enabled_at = NOW - timedelta(days=1)
    db.session.commit()
    return user, pyotp.TOTP(user.totp_secret)


def _code_page(client, code, **extra):
    return client.post(CODE_PAGE, data={"code": code, **extra})


def _signed_in(client) -> bool:
    response = client.get("/mijn-account")
    return response.status_code == 200


def test_own_set_up_then_every_sign_in_asks_the_code(client, auth, db, frozen):
    user = factories.user("staff")
    db.session.commit()
    assert auth.login(user).headers["Location"] == "/"
    page = client.get("/mijn-account/tweestaps").get_data(as_text=True)
    (svg,) = re.findall(r'<svg[^>]*class="qr-code".*?</svg>', page, re.S)
    # Markup in the page, fit for a strict Content-Security-Policy.
    assert "data:" not in svg and "<script" not in svg and "style" not in svg
    db.session.expire_all()
    secret = user.totp_secret
    assert secret.replace(" ", "")[:4] in page  # the key to type over, in groups of four
    # Reloading the set-up page keeps the secret that was scanned.
    client.get("/mijn-account/tweestaps")
    db.session.expire_all()
    assert user.totp_secret == secret and user.totp_enabled_at is None

    wrong = client.post("/mijn-account/tweestaps", data={"code": "000000"})
    assert "Deze code klopt niet." in wrong.get_data(as_text=True)
    db.session.expire_all()
    assert user.totp_enabled_at is None

    shown = client.post("/mijn-account/tweestaps", data={"code": pyotp.TOTP(secret).now()})
    codes = RECOVERY.findall(shown.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    db.session.expire_all()
    assert user.has_two_factor and user.totp_enabled_at == NOW
    hashes = db.session.scalars(sa.select(RecoveryCode.code_hash).where(
        RecoveryCode.user_id == user.id)).all()
    assert len(hashes) == 10 and not any(code.replace("-", "") in h for h in hashes
                                         for code in codes)
    # Shown once: the account page does not show them again.
    account = client.get("/mijn-account").get_data(as_text=True)
    assert codes[0] not in account and "U hebt nog 10 herstelcodes." in account

    auth.logout()
    response = client.post("/inloggen?next=/deelnemers/",
                           data={"email": user.email, "password": factories.PASSWORD})
    assert response.headers["Location"] == CODE_PAGE
    assert not _signed_in(client), "the password alone signs nobody in"
    # The code of set-up a moment ago is used: it does not work twice.
    again = _code_page(client, pyotp.TOTP(secret).now())
    assert "Deze code is al gebruikt." in again.get_data(as_text=True)
    frozen.shift(30)
    response = _code_page(client, pyotp.TOTP(secret).now())
    assert response.headers["Location"] == "/deelnemers/"
    assert _signed_in(client)
    assert factories.count(AuditEvent, AuditEvent.action == "login",
                           AuditEvent.user_id == user.id) == 2


def test_a_wrong_code_is_refused_and_many_are_throttled(client, auth, db, frozen):
    user, totp = _with_two_factor(db)
    auth.login(user)
    response = _code_page(client, "123456" if totp.now() != "123456" else "654321")
    assert response.status_code == 200
    assert "Deze code klopt niet." in response.get_data(as_text=True)
    assert not _signed_in(client)
    for _attempt in range(4):
        _code_page(client, "abcdef")
    blocked = _code_page(client, totp.now())
    assert blocked.status_code == 429
    assert "U hebt te vaak een verkeerde code ingevuld." in blocked.get_data(as_text=True)
    assert not _signed_in(client)
    # Throttled per user: signing in again does not start the count over.
    frozen.shift(60)
    auth.login(user)
    assert _code_page(client, totp.now()).status_code == 429
    frozen.shift(15 * 60)
    auth.login(user)
    assert _code_page(client, totp.now()).headers["Location"] == "/"


def test_a_code_cannot_be_replayed_within_its_window(client, auth, db, frozen):
    user, totp = _with_two_factor(db)
    code = totp.now()
    auth.login(user)
    assert _code_page(client, code).status_code == 302
    auth.logout()
    frozen.shift(20)  # the same code is still within the window of one step either side
    auth.login(user)
    response = _code_page(client, code)
    assert "Deze code is al gebruikt." in response.get_data(as_text=True)
    assert not _signed_in(client)
    # The code of the step before the one used is older still: refused too.
    previous = totp.at(NOW - timedelta(seconds=30))
    assert "Deze code is al gebruikt." in _code_page(client, previous).get_data(as_text=True)
    frozen.shift(30)
    assert _code_page(client, totp.now()).status_code == 302


def test_a_code_of_one_step_ago_still_works_for_a_slow_phone(client, auth, db, frozen):
    user, totp = _with_two_factor(db)
    auth.login(user)
    assert _code_page(client, totp.at(NOW - timedelta(seconds=30))).status_code == 302
    auth.logout()
    auth.login(user)
    assert "klopt niet" in _code_page(client, totp.at(NOW - timedelta(seconds=90))).get_data(
        as_text=True)


def test_a_recovery_code_works_once(client, auth, db, frozen):
    user = factories.user("staff")
    db.session.commit()
    auth.login(user)
    client.get("/mijn-account/tweestaps")
    db.session.expire_all()
    page = client.post("/mijn-account/tweestaps",
                       data={"code": pyotp.TOTP(user.totp_secret).now()})
    codes = RECOVERY.findall(page.get_data(as_text=True))
    auth.logout()

    auth.login(user)
    response = _code_page(client, codes[0].upper().replace("-", " "))
    assert response.headers["Location"] == "/"
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "U hebt een herstelcode gebruikt. U hebt er nog 9." in page
    auth.logout()

    auth.login(user)
    response = _code_page(client, codes[0])
    assert "Deze code klopt niet." in response.get_data(as_text=True)
    assert not _signed_in(client)
    assert _code_page(client, codes[1]).status_code == 302
    assert factories.count(AuditEvent, AuditEvent.summary == "herstelcode gebruikt") == 2


def test_new_recovery_codes_replace_the_old_ones(client, auth, db, frozen):
    user, totp = _with_two_factor(db)
    auth.login(user)
    _code_page(client, totp.now())
    frozen.shift(30)
    page = client.post("/mijn-account/tweestaps/herstelcodes", data={"code": "000000"})
    assert "Deze code klopt niet." in page.get_data(as_text=True)
    page = client.post("/mijn-account/tweestaps/herstelcodes", data={"code": totp.now()})
    first = RECOVERY.findall(page.get_data(as_text=True))
    frozen.shift(30)
    page = client.post("/mijn-account/tweestaps/herstelcodes", data={"code": totp.now()})
    second = RECOVERY.findall(page.get_data(as_text=True))
    assert len(second) == 10 and not set(first) & set(second)
    auth.logout()
    auth.login(user)
    assert "klopt niet" in _code_page(client, first[0]).get_data(as_text=True)
    assert _code_page(client, second[0]).status_code == 302


def test_a_trusted_device_skips_the_code_for_30_days_and_not_after(client, auth, db, frozen,
                                                                    app):
    user, totp = _with_two_factor(db)
    app.config["SESSION_COOKIE_SECURE"] = True
    try:
        auth.login(user)
        response = _code_page(client, totp.now(), trust="y")
    finally:
        app.config["SESSION_COOKIE_SECURE"] = False
    assert response.status_code == 302
    (cookie,) = [h for h in response.headers.getlist("Set-Cookie")
                 if h.startswith(TRUST_COOKIE + "=")]
    token = cookie.split(";")[0].split("=", 1)[1]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Strict" in cookie
    assert f"Max-Age={30 * 24 * 3600}" in cookie
    # Only a hash of the token is stored.
    stored = db.session.scalars(sa.select(TrustedDevice.token_hash)).all()
    assert len(stored) == 1 and token not in stored[0]
    auth.logout()

    frozen.shift(timedelta(days=29))
    assert auth.login(user).headers["Location"] == "/"
    assert _signed_in(client)
    auth.logout()

    # Another user on the same browser is not trusted by it.
    other, _other_totp = _with_two_factor(db)
    assert auth.login(other).headers["Location"] == CODE_PAGE

    frozen.shift(timedelta(days=1, minutes=1))
    assert auth.login(user).headers["Location"] == CODE_PAGE
    assert not _signed_in(client)


def test_without_the_box_ticked_the_device_is_not_trusted(client, auth, db, frozen):
    user, totp = _with_two_factor(db)
    auth.login(user)
    response = _code_page(client, totp.now())
    assert not any(h.startswith(TRUST_COOKIE) for h in response.headers.getlist("Set-Cookie"))
    auth.logout()
    assert auth.login(user).headers["Location"] == CODE_PAGE


def test_the_code_page_waits_five_minutes_for_the_code(client, auth, db, frozen):
    user, totp = _with_two_factor(db)
    auth.login(user)
    frozen.shift(timedelta(minutes=5, seconds=30))
    response = _code_page(client, totp.now())
    assert response.headers["Location"] == "/inloggen"
    assert not _signed_in(client)
    page = client.get("/inloggen").get_data(as_text=True)
    assert "De tijd om de code in te vullen was voorbij." in page


def test_the_code_page_without_a_password_first_sends_to_sign_in(client, db):
    assert client.get(CODE_PAGE).headers["Location"] == "/inloggen"
    assert client.post(CODE_PAGE, data={"code": "123456"}).headers["Location"] == "/inloggen"
    assert client.get(FORCED_SETUP).headers["Location"] == "/inloggen"


def test_a_required_role_must_set_up_before_getting_in(client, auth, db, frozen):
    security_settings.save("two_factor_coordinator", 1, None)
    user = factories.user("coordinator")
    db.session.commit()
    response = client.post("/inloggen?next=/taken/",
                           data={"email": user.email, "password": factories.PASSWORD})
    assert response.headers["Location"] == FORCED_SETUP
    assert not _signed_in(client)
    page = client.get(FORCED_SETUP).get_data(as_text=True)
    assert "verplicht" in page and "<svg" in page
    assert not _signed_in(client), "looking at the set-up page does not sign in"
    wrong = client.post(FORCED_SETUP, data={"code": "12"})
    assert "Deze code klopt niet." in wrong.get_data(as_text=True)
    assert not _signed_in(client)
    db.session.expire_all()
    shown = client.post(FORCED_SETUP, data={"code": pyotp.TOTP(user.totp_secret).now()})
    body = shown.get_data(as_text=True)
    assert len(RECOVERY.findall(body)) == 10
    assert 'href="/taken/"' in body
    assert _signed_in(client)
    db.session.expire_all()
    assert user.has_two_factor
    auth.logout()
    frozen.shift(30)
    assert auth.login(user).headers["Location"] == CODE_PAGE


def test_a_role_that_does_not_require_it_goes_straight_in(client, auth, db):
    security_settings.save("two_factor_admin", 1, None)
    security_settings.save("two_factor_coordinator", 1, None)
    for role in ("staff", "volunteer", "partner"):
        user = factories.user(role)
        db.session.commit()
        assert auth.login(user).status_code == 302
        assert _signed_in(client), role
        auth.logout()
    admin = factories.user("admin")
    db.session.commit()
    assert auth.login(admin).headers["Location"] == FORCED_SETUP


def test_staff_must_set_up_once_an_admin_requires_it(client, auth, db):
    user = factories.user("staff")
    db.session.commit()
    assert auth.login(user).headers["Location"] == "/"
    auth.logout()
    security_settings.save("two_factor_staff", 1, None)
    db.session.commit()
    assert auth.login(user).headers["Location"] == FORCED_SETUP


def test_switching_off_asks_a_code_and_is_refused_when_required(client, auth, db, frozen):
    user, totp = _with_two_factor(db)
    auth.login(user)
    _code_page(client, totp.now(), trust="y")
    frozen.shift(30)
    page = client.post("/mijn-account/tweestaps/uitzetten", data={"code": "999999"})
    assert "Deze code klopt niet." in page.get_data(as_text=True)
    db.session.expire_all()
    assert user.has_two_factor
    response = client.post("/mijn-account/tweestaps/uitzetten", data={"code": totp.now()})
    assert response.headers["Location"] == "/mijn-account"
    db.session.expire_all()
    assert not user.has_two_factor and user.totp_secret is None
    assert factories.count(RecoveryCode, RecoveryCode.user_id == user.id) == 0
    assert factories.count(TrustedDevice, TrustedDevice.user_id == user.id) == 0
    auth.logout()
    assert auth.login(user).headers["Location"] == "/"


def test_switching_off_is_not_offered_when_the_role_requires_it(client, auth, db, frozen):
    security_settings.save("two_factor_coordinator", 1, None)
    user, totp = _with_two_factor(db, role="coordinator")
    auth.login(user)
    _code_page(client, totp.now())
    account = client.get("/mijn-account").get_data(as_text=True)
    assert "/mijn-account/tweestaps/uitzetten" not in account
    assert "verplicht voor uw rol" in account
    frozen.shift(30)
    response = client.post("/mijn-account/tweestaps/uitzetten", data={"code": totp.now()},
                           follow_redirects=True)
    assert "U kunt het niet uitzetten." in response.get_data(as_text=True)
    db.session.expire_all()
    assert user.has_two_factor
