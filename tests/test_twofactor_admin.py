"""Two-factor sign-in, the admin's side (issue 19): the reset on the user page, the page
Beheer > Beveiliging, a new installation that requires it for admins and coordinators, and
seed-demo that leaves it off for its demo accounts."""

from datetime import timedelta

import pyotp
import sqlalchemy as sa
from flask_migrate import upgrade

from app.audit.models import AuditEvent
from app.auth import security_settings
from app.auth.models import RecoveryCode, TrustedDevice
from app.auth.twofactor import new_recovery_codes, trust_this_device
from app.checkins.models import FollowUpSetting
from app.extensions import db as _db

from . import factories
from .conftest import make_app

NOW = factories.aware(2026, 11, 23, 10, 0)


def _with_two_factor(db, role="staff"):
    user = factories.user(role, name="Mila de Wit")
    user.totp_secret = pyotp.random_base32()
    user.totp_enabled_at = NOW - timedelta(days=3)
    new_recovery_codes(user, NOW)
    trust_this_device(user, NOW)
    db.session.commit()
    return user


def test_an_admin_resets_a_users_two_factors(client, auth, db, frozen):
    user = _with_two_factor(db)
    admin = auth.as_role("admin")
    page = client.get(f"/beheer/gebruikers/{user.id}/").get_data(as_text=True)
    assert "Aan sinds" in page and "Nog 10 herstelcodes." in page
    assert "Inloggen met code terugzetten" in page

    response = client.post(f"/beheer/gebruikers/{user.id}/tweestaps/terugzetten",
                           follow_redirects=True)
    assert "Inloggen met code van Mila de Wit is teruggezet." in response.get_data(as_text=True)
    db.session.expire_all()
    assert user.totp_secret is None and user.totp_enabled_at is None
    assert factories.count(RecoveryCode, RecoveryCode.user_id == user.id) == 0
    assert factories.count(TrustedDevice, TrustedDevice.user_id == user.id) == 0
    event = db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.summary == "inloggen met code teruggezet"))
    assert event.user_id == admin.id and event.object_id == user.id
    log = client.get("/logboek/").get_data(as_text=True)
    assert "inloggen met code teruggezet" in log
    page = client.get(f"/beheer/gebruikers/{user.id}/").get_data(as_text=True)
    assert "Uit." in page and "Inloggen met code terugzetten" not in page

    # The user signs in with the password alone now (not required for staff) ...
    auth.logout()
    assert auth.login(user).headers["Location"] == "/"


def test_after_a_reset_a_required_role_sets_up_again(client, auth, db, frozen):
    security_settings.save("two_factor_coordinator", 1, None)
    user = _with_two_factor(db, role="coordinator")
    auth.as_role("admin")
    client.post(f"/beheer/gebruikers/{user.id}/tweestaps/terugzetten")
    page = client.get(f"/beheer/gebruikers/{user.id}/").get_data(as_text=True)
    assert "Nog niet ingesteld. Het is verplicht voor deze rol" in page
    auth.logout()
    assert auth.login(user).headers["Location"] == "/inloggen/code-instellen"


def test_only_an_admin_may_reset(client, auth, db):
    user = _with_two_factor(db)
    auth.as_role("coordinator")
    assert client.post(f"/beheer/gebruikers/{user.id}/tweestaps/terugzetten").status_code == 404
    db.session.expire_all()
    assert user.has_two_factor


def test_the_security_settings_page(client, auth, db):
    auth.as_role("admin")
    assert "/beheer/beveiliging" in client.get("/beheer/").get_data(as_text=True)
    page = client.get("/beheer/beveiliging").get_data(as_text=True)
    assert "Beheerders: inloggen met code verplicht" in page
    assert "Dan meldt Houvast die persoon af." in page
    assert 'value="30"' in page

    response = client.post("/beheer/beveiliging", data={
        "two_factor_staff": "y", "two_factor_admin": "y", "session_idle_minutes": "20"},
        follow_redirects=True)
    assert "De instellingen voor beveiliging zijn opgeslagen." in response.get_data(as_text=True)
    assert security_settings.two_factor_required("staff")
    assert security_settings.two_factor_required("admin")
    assert not security_settings.two_factor_required("coordinator")
    assert security_settings.idle_minutes() == 20
    log = client.get("/logboek/").get_data(as_text=True)
    assert ("gewijzigd: code verplicht voor beheerders, "
            "code verplicht voor medewerkers, afmelden na minuten niets doen") in log

    # Saving again without a change writes nothing.
    logged = (AuditEvent.object_type == "security_settings",)
    before = factories.count(AuditEvent, *logged)
    response = client.post("/beheer/beveiliging", data={
        "two_factor_staff": "y", "two_factor_admin": "y", "session_idle_minutes": "20"},
        follow_redirects=True)
    assert "Er was niets veranderd." in response.get_data(as_text=True)
    assert factories.count(AuditEvent, *logged) == before == 1


def test_the_security_settings_page_refuses_bad_minutes(client, auth, db):
    auth.as_role("admin")
    for typed, message in (("3", "Kies een aantal minuten van 5 tot en met 480."),
                           ("veel", ""), ("", "Vul een aantal minuten in.")):
        response = client.post("/beheer/beveiliging", data={
            "two_factor_staff": "y", "session_idle_minutes": typed})
        page = response.get_data(as_text=True)
        assert response.status_code == 200, typed
        assert 'class="field-error"' in page and message in page, typed
        assert f'value="{typed}"' in page or typed == "", typed
    assert not security_settings.two_factor_required("staff")
    assert security_settings.idle_minutes() == 30


def test_only_an_admin_sees_the_security_settings(client, auth, db):
    auth.as_role("coordinator")
    assert client.get("/beheer/beveiliging").status_code == 403
    assert client.post("/beheer/beveiliging", data={
        "two_factor_admin": "", "session_idle_minutes": "480"}).status_code == 403


def test_a_new_installation_requires_two_factors_for_admins_and_coordinators(tmp_path):
    # A database of its own, migrated from nothing (the suite's database is emptied between
    # tests, so there two factors are off unless a test switches them on).
    folder = tmp_path / "new"
    folder.mkdir()
    app = make_app(f"sqlite:///{folder / 'houvast.sqlite'}", folder)
    with app.app_context():
        upgrade()
        rows = dict(_db.session.execute(
            sa.select(FollowUpSetting.key, FollowUpSetting.value)).all())
        assert rows["two_factor_admin"] == 1 and rows["two_factor_coordinator"] == 1
        assert security_settings.two_factor_required("admin")
        assert security_settings.two_factor_required("coordinator")
        assert not security_settings.two_factor_required("staff")
        assert not security_settings.two_factor_required("volunteer")
        _db.session.remove()
        _db.engine.dispose()


def test_seed_demo_leaves_two_factors_off_and_says_so(client, auth, db, demo_data):
    lines = demo_data.output.strip().splitlines()
    assert lines[-1].startswith("password: ")
    assert "Inloggen met code (tweestapsverificatie) staat uit voor de demo-accounts" in \
        lines[-2]
    for role in ("admin", "coordinator", "staff"):
        assert not security_settings.two_factor_required(role), role
    # Every demo account gets in with the printed password alone.
    for line in lines[:-2]:
        role, email = line.split(": ", 1)
        response = client.post("/inloggen", data={"email": email,
                                                  "password": demo_data.password})
        assert response.status_code == 302 and "/inloggen" not in response.headers["Location"]
        auth.logout()
