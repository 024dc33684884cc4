"""What people see of their sessions (issue 19): the list and "Overal afmelden" on Mijn
account, the admin's count and button, partner organisations switched off, and who gets
digests and reminders (only active accounts that have set a password)."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.admin.service import invite_user
from app.audit.labels import event_text
from app.audit.models import AuditEvent
from app.auth.models import UserSession
from app.auth.server_sessions import device_label
from app.core.timeutil import to_utc
from app.notifications.models import Notification
from app.notifications.service import deliver_pending
from jobs.digest import daily_digest, volunteer_reminders

from . import factories

NOW = factories.aware(2026, 11, 23, 9, 0)
CHROME_LINUX = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                "Chrome/131.0.0.0 Safari/537.36")
FIREFOX_WINDOWS = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 "
                   "Firefox/133.0")
SAFARI_IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
                 "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1")
EDGE_WINDOWS = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
                "Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0")
CHROME_ANDROID = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like "
                  "Gecko) Chrome/131.0.0.0 Mobile Safari/537.36")


def _browser(app, agent: str):
    browser = app.test_client()
    browser.environ_base["HTTP_USER_AGENT"] = agent
    return browser


def _sign_in(browser, user):
    response = browser.post("/inloggen", data={"email": user.email,
                                               "password": factories.PASSWORD})
    assert response.status_code == 302, "sign-in failed"


def _signed_in(browser) -> bool:
    return browser.get("/mijn-account").status_code == 200


@pytest.mark.parametrize(("agent", "label"), [
    (CHROME_LINUX, "Chrome op Linux"), (FIREFOX_WINDOWS, "Firefox op Windows"),
    (SAFARI_IPHONE, "Safari op iPhone"), (EDGE_WINDOWS, "Edge op Windows"),
    (CHROME_ANDROID, "Chrome op Android"), ("curl/8.5.0", None), ("", None),
])
def test_the_device_is_named_simply_from_the_user_agent(agent, label):
    assert device_label(agent) == label


def test_own_page_lists_open_sessions_and_signs_out_everywhere(app, db, frozen):
    user = factories.user("staff")
    db.session.commit()
    laptop, pc = _browser(app, CHROME_LINUX), _browser(app, FIREFOX_WINDOWS)
    _sign_in(laptop, user)
    frozen.shift(timedelta(minutes=5))
    _sign_in(pc, user)

    page = pc.get("/mijn-account").get_data(as_text=True)

    assert "Chrome op Linux" in page and "Firefox op Windows (dit apparaat)" in page.replace(
        " <strong>(", " (").replace(")</strong>", ")")
    assert "23 nov 2026 10:00" in page and "23 nov 2026 10:05" in page  # local time
    assert "Overal afmelden" in page

    response = pc.post("/mijn-account/overal-afmelden", follow_redirects=True)

    assert "U bent overal afgemeld" in response.get_data(as_text=True)
    assert not _signed_in(pc) and not _signed_in(laptop)
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "logout")
                                .order_by(AuditEvent.id)).all()
    assert [event_text(e.action, e.object_type, e.summary) for e in events] == [
        "gebruiker afgemeld: sessies beëindigd (2): overal afgemeld"]
    assert {e.user_id for e in events} == {user.id}


def test_ended_sessions_are_not_listed(app, db, frozen):
    user = factories.user("coordinator")
    db.session.commit()
    old, new = _browser(app, CHROME_LINUX), _browser(app, SAFARI_IPHONE)
    _sign_in(old, user)
    old.post("/uitloggen")
    _sign_in(new, user)

    page = new.get("/mijn-account").get_data(as_text=True)

    assert "Safari op iPhone" in page and "Chrome op Linux" not in page


def test_admin_sees_how_many_sessions_are_open_and_ends_them(app, client, auth, db, frozen):
    user = factories.user("volunteer", name="Kees Vos")
    db.session.commit()
    phone, laptop = _browser(app, CHROME_ANDROID), _browser(app, CHROME_LINUX)
    _sign_in(phone, user)
    _sign_in(laptop, user)
    admin = auth.as_role("admin")

    page = client.get(f"/beheer/gebruikers/{user.id}/").get_data(as_text=True)
    assert "Kees Vos is nu op 2 apparaten ingelogd." in page

    response = client.post(f"/beheer/gebruikers/{user.id}/sessies/beeindigen",
                           follow_redirects=True)

    page = response.get_data(as_text=True)
    assert "2 sessies van Kees Vos zijn beëindigd." in page
    assert "Kees Vos is nu nergens ingelogd." in page
    assert not _signed_in(phone) and not _signed_in(laptop)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "logout"))
    assert (event.user_id, event.object_id) == (admin.id, user.id)
    assert event_text(event.action, event.object_type, event.summary) == (
        "gebruiker afgemeld: sessies beëindigd (2): door de beheerder")


def test_others_may_not_end_someone_elses_sessions(app, client, auth, db, frozen):
    user = factories.user("staff")
    db.session.commit()
    browser = app.test_client()
    _sign_in(browser, user)
    auth.as_role("coordinator")

    assert client.post(f"/beheer/gebruikers/{user.id}/sessies/beeindigen").status_code == 404
    assert _signed_in(browser)


def test_switching_off_a_partner_blocks_its_portal_users_at_once(app, client, auth, db,
                                                                 frozen):
    partner = factories.partner("Gemeente Oost")
    portal_user = factories.user("partner", partner=partner)
    colleague = factories.user("partner", partner=partner)
    elsewhere = factories.user("partner")
    db.session.commit()
    browsers = {}
    for person in (portal_user, colleague, elsewhere):
        browsers[person.id] = app.test_client()
        _sign_in(browsers[person.id], person)
    assert browsers[portal_user.id].get("/partner/").status_code == 200
    auth.as_role("admin")

    client.post(f"/partners/{partner.id}/uitzetten")

    assert browsers[portal_user.id].get("/partner/").status_code == 302
    assert not _signed_in(browsers[colleague.id])
    assert _signed_in(browsers[elsewhere.id])
    reasons = db.session.scalars(sa.select(UserSession.ended_reason)
                                 .where(UserSession.user_id.in_([portal_user.id,
                                                                 colleague.id]))).all()
    assert reasons == ["partner-uitgezet", "partner-uitgezet"]
    # Signing in again does not work either while the organisation is switched off.
    _sign_in(browsers[portal_user.id], portal_user)
    assert not _signed_in(browsers[portal_user.id])
    client.post(f"/partners/{partner.id}/aanzetten")
    _sign_in(browsers[portal_user.id], portal_user)
    assert _signed_in(browsers[portal_user.id])


def test_a_partner_switched_off_by_any_route_is_refused_by_the_loader(app, db, frozen):
    portal_user = factories.user("partner")
    db.session.commit()
    browser = app.test_client()
    _sign_in(browser, portal_user)

    portal_user.partner.active = False
    db.session.commit()

    assert not _signed_in(browser)


# --- Digests and reminders only to accounts that can sign in -------------------------------

MONDAY_0700 = to_utc(date(2026, 11, 23), 7)


def _coordinator_with_work(loc, **kwargs):
    user = factories.user("coordinator", locations=[loc], **kwargs)
    trajectory = factories.trajectory(factories.participant("Fatima"), location_obj=loc,
                                      owner=user, status="active")
    factories.checkin(trajectory, due_on=date(2026, 11, 20), assignee=user,
                      rule_code="match_6w_owner")
    return user


def test_an_invited_coordinator_without_a_password_gets_no_digest(app, db, smtp_server):
    loc = factories.location("Bibliotheek Oost")
    _coordinator_with_work(loc, email="noor@taalhuis.example")
    admin = factories.user("admin")
    invited = invite_user(name="Mira Tippfehler", email="mira@taalhuis.exmaple",
                          role="coordinator", locations=[loc], partner=None, by=admin,
                          now=MONDAY_0700)
    trajectory = factories.trajectory(factories.participant("Said"), location_obj=loc,
                                      owner=invited, status="active")
    factories.checkin(trajectory, due_on=date(2026, 11, 20), assignee=invited,
                      rule_code="match_6w_owner")
    # A volunteer invited the same way, with a check-in of their own due.
    volunteer = invite_user(name="Kees Vos", email="kees@vrijwilliger.example",
                            role="volunteer", locations=[], partner=None, by=admin,
                            now=MONDAY_0700)
    factories.checkin(trajectory, due_on=date(2026, 11, 20), assignee=volunteer,
                      rule_code="match_2w_volunteer")
    db.session.commit()

    daily_digest(MONDAY_0700)
    volunteer_reminders(MONDAY_0700)
    deliver_pending(MONDAY_0700)

    assert [m["To"] for m in smtp_server.messages] == ["noor@taalhuis.example"]
    # Not in the app either: the invitation may have gone to a mistyped address.
    assert set(db.session.scalars(sa.select(Notification.email))) == {"noor@taalhuis.example"}


def test_a_digest_claimed_before_deactivation_is_not_sent_after(app, db, smtp_server):
    loc = factories.location("Bibliotheek Oost")
    user = _coordinator_with_work(loc, email="noor@taalhuis.example")
    db.session.commit()
    [note] = daily_digest(MONDAY_0700)
    assert note.channel == "email"

    user.active = False
    db.session.commit()
    deliver_pending(MONDAY_0700 + timedelta(minutes=5))

    assert smtp_server.messages == []
    assert db.session.get(Notification, note.id).status == "skipped"


def test_signed_out_nobody_can_sign_out_everywhere(client):
    response = client.post("/mijn-account/overal-afmelden")
    assert response.status_code == 302 and response.headers["Location"].startswith("/inloggen")
