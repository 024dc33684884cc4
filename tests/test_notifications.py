"""The notification ledger, delivery (SMTP, failures, retries) and the in-app list /berichten."""

import re
import socket
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db as _db
from app.notifications import service
from app.notifications.models import Notification
from app.notifications.service import DigestSection, digest_section, sections_for

from . import factories
from .conftest import free_port

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # Monday 07:00 in Amsterdam


def _notify(user, *, kind="digest", period="2026-11-23", subject="Houvast: 1 ding voor vandaag",
            now=NOW, **kwargs):
    return service.notify(kind=kind, subject_key=f"user:{user.id}", recipient=user,
                          period_key=period, subject=subject, body="Bel Fatima E. vandaag.",
                          link="http://127.0.0.1:5000/taken", now=now, **kwargs)


def _ledger(**filters):
    query = sa.select(Notification).order_by(Notification.id)
    for name, value in filters.items():
        query = query.where(getattr(Notification, name) == value)
    return list(_db.session.scalars(query))


# --- Claiming -----------------------------------------------------------------------------------

def test_the_same_message_is_claimed_only_once(db):
    user = factories.user("coordinator")

    first = _notify(user)
    second = _notify(user, subject="another text, same key")
    db.session.commit()

    assert first is not None and first.status == "pending" and first.channel == "email"
    assert second is None, "the second claim of the same key must not create a message"
    assert len(_ledger()) == 1
    # A new day is a new period: a new message.
    assert _notify(user, period="2026-11-24") is not None


def test_user_without_email_gets_the_message_in_the_app_only(db):
    user = factories.user("coordinator")
    user.email_preference = "none"

    note = _notify(user)

    assert note.channel == "app"
    assert note.status == "sent" and note.sent_at == NOW
    assert service.deliver_pending(NOW) == [], "nothing to e-mail"


def test_an_alert_can_be_kept_in_the_app(db):
    user = factories.user("coordinator")
    note = _notify(user, kind="out_of_view", allow_email=False)
    assert note.channel == "app"


def test_notify_many_claims_in_bulk_and_skips_what_exists(db):
    users = [factories.user("coordinator") for _ in range(3)]
    _notify(users[0], kind="out_of_view", period="2026-11-20")
    messages = [
        service.Message(kind="out_of_view", subject_key=f"user:{u.id}", recipient=u,
                        period_key="2026-11-20", subject="Buiten beeld", body="x", link=None)
        for u in users
    ]

    claimed = service.notify_many(messages, NOW)

    assert [n.user_id for n in claimed] == [users[1].id, users[2].id]
    assert service.notify_many(messages, NOW) == []


# --- Delivery -----------------------------------------------------------------------------------

def test_delivery_sends_over_real_smtp_with_text_and_html(app, db, smtp_server):
    user = factories.user("coordinator", email="noor@taalhuis.example")
    _notify(user, html="<p>Bel <a href='http://127.0.0.1:5000/taken'>Fatima E.</a></p>")
    db.session.commit()

    delivered = service.deliver_pending(NOW)

    assert [n.status for n in delivered] == ["sent"]
    assert delivered[0].sent_at == NOW
    [msg] = smtp_server.messages
    assert msg.envelope_to == ["noor@taalhuis.example"]
    assert msg["Subject"] == "Houvast: 1 ding voor vandaag"
    assert "Bel Fatima E. vandaag." in smtp_server.body(msg)
    assert "http://127.0.0.1:5000/taken" in smtp_server.body(msg, "html")
    # Delivered once: a second delivery run sends nothing.
    assert service.deliver_pending(NOW) == []
    assert len(smtp_server.messages) == 1


def test_smtp_down_marks_nothing_sent_and_the_next_run_retries(app, db, smtp_server):
    user = factories.user("coordinator")
    _notify(user)
    db.session.commit()
    working_port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = free_port()  # nothing listens there: the server is "down"

    failed = service.deliver_pending(NOW)

    assert [n.status for n in failed] == ["failed"]
    note = _ledger()[0]
    assert note.sent_at is None and note.attempts == 1
    assert note.next_attempt_at == NOW + timedelta(minutes=5)
    assert "could not be sent" in note.last_error
    assert smtp_server.messages == []

    app.config["MAIL_PORT"] = working_port
    later = NOW + timedelta(minutes=5)
    retried = service.deliver_pending(later)

    assert [n.status for n in retried] == ["sent"]
    db.session.refresh(note)
    assert note.status == "sent" and note.sent_at == later and note.attempts == 2
    assert note.last_error is None
    assert len(smtp_server.messages) == 1


def test_an_hour_of_smtp_outage_still_delivers_when_the_server_is_back(app, db, smtp_server):
    """The morning digest must not be lost because the mail server was down from 07:00
    to 08:00: the delivery job (every 5 minutes) keeps trying, with growing pauses."""
    user = factories.user("coordinator", email="noor@taalhuis.example")
    _notify(user)
    db.session.commit()

    smtp_server.stop()
    tried = [minute for minute in range(0, 60, 5)
             if service.deliver_pending(NOW + timedelta(minutes=minute))]
    assert tried == [0, 5, 15, 35], "pauses of 5, 10 and 20 minutes between the attempts"
    [note] = _ledger()
    assert note.status == "failed" and note.sent_at is None and smtp_server.messages == []
    assert note.next_attempt_at == NOW + timedelta(minutes=75)

    smtp_server.start()
    delivered = []
    for minute in range(60, 125, 5):
        delivered += service.deliver_pending(NOW + timedelta(minutes=minute))

    assert [(n.id, n.status) for n in delivered] == [(note.id, "sent")]
    db.session.refresh(note)
    assert note.sent_at == NOW + timedelta(minutes=75) and note.next_attempt_at is None
    [msg] = smtp_server.messages
    assert msg.envelope_to == ["noor@taalhuis.example"]
    assert msg["Subject"] == "Houvast: 1 ding voor vandaag"


def test_a_retry_due_a_moment_after_the_run_goes_in_that_run(app, db, smtp_server):
    """The job every 5 minutes starts a little later each time; a retry must not slip to
    the run after."""
    user = factories.user("coordinator")
    _notify(user)
    db.session.commit()
    smtp_server.stop()
    service.deliver_pending(NOW + timedelta(seconds=3))
    smtp_server.start()

    assert [n.status for n in service.deliver_pending(NOW + timedelta(minutes=5))] == ["sent"]


def test_delivery_keeps_trying_for_a_day_then_gives_up(app, db):
    user = factories.user("coordinator")
    note = _notify(user)
    db.session.commit()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    try:
        tried = []
        moment = NOW
        while moment <= NOW + timedelta(hours=27):
            if service.deliver_pending(moment):
                tried.append(moment)
            moment += timedelta(minutes=5)
    finally:
        app.config.update(MAIL_SERVER=None, MAIL_PORT=25)

    pauses = [later - earlier for earlier, later in zip(tried[:-1], tried[1:], strict=True)]
    assert pauses[:4] == [timedelta(minutes=m) for m in (5, 10, 20, 40)]
    assert set(pauses[4:]) == {timedelta(hours=1)}, "at most an hour between attempts"
    assert NOW + timedelta(hours=24) <= tried[-1] < NOW + timedelta(hours=25)
    db.session.refresh(note)
    assert note.status == "failed" and note.next_attempt_at is None
    assert note.attempts == len(tried)


def test_mail_claimed_long_before_its_first_try_still_gets_a_day_of_retries(app, db,
                                                                          smtp_server):
    """A referrer signal claimed on Friday, first tried on Monday (the scheduler was down),
    during a 2-hour SMTP outage: it must be retried and delivered, not given up at once."""
    friday = NOW - timedelta(days=3)
    user = factories.user("coordinator")
    note = _notify(user, kind="referrer_reminder", now=friday)
    db.session.commit()

    smtp_server.stop()
    for minute in range(0, 120, 5):
        service.deliver_pending(NOW + timedelta(minutes=minute))
    db.session.refresh(note)
    assert note.status == "failed" and note.next_attempt_at is not None
    assert note.first_attempt_at == NOW

    smtp_server.start()
    for minute in range(120, 200, 5):
        service.deliver_pending(NOW + timedelta(minutes=minute))
    db.session.refresh(note)
    assert note.status == "sent"
    assert len(smtp_server.messages) == 1


def test_mail_is_given_up_only_after_the_window_and_enough_tries(app, db):
    user = factories.user("coordinator")
    note = _notify(user)
    db.session.commit()
    note.first_attempt_at = NOW - timedelta(hours=30)
    note.attempts = service.MIN_ATTEMPTS - 1
    assert service.next_attempt(note, NOW) is not None, "too few tries to give up"
    note.attempts = service.MIN_ATTEMPTS
    assert service.next_attempt(note, NOW) is None
    note.first_attempt_at = NOW - timedelta(hours=23)
    assert service.next_attempt(note, NOW) is not None, "the day is not over yet"


def test_given_up_mail_is_listed_with_its_error_and_can_be_retried(app, db, runner,
                                                                    smtp_server):
    user = factories.user("coordinator", email="noor@taalhuis.example")
    note = _notify(user)
    other = _notify(factories.user("coordinator"), subject="Nog een")
    db.session.commit()
    for n in (note, other):
        n.status, n.attempts, n.next_attempt_at = "failed", 12, None
        n.first_attempt_at = NOW - timedelta(days=2)
        n.last_error = "mail to x could not be sent via 127.0.0.1:25: ConnectionRefusedError"
    db.session.commit()

    listed = runner.invoke(args=["mail", "failed"])
    assert listed.exit_code == 0
    assert str(note.id) in listed.output and "noor@taalhuis.example" in listed.output
    assert "ConnectionRefusedError" in listed.output
    assert "Houvast: 1 ding voor vandaag" in listed.output

    retried = runner.invoke(args=["mail", "retry", str(note.id)])
    assert retried.exit_code == 0 and "1 message(s) queued again" in retried.output
    delivered = service.deliver_pending(NOW)
    assert [n.id for n in delivered] == [note.id] and delivered[0].status == "sent"
    assert runner.invoke(args=["mail", "failed"]).output.count("\n") == 1, "only the other"

    assert "1 message(s)" in runner.invoke(args=["mail", "retry", "--all"]).output
    assert "no given-up mail" in runner.invoke(args=["mail", "failed"]).output
    assert runner.invoke(args=["mail", "retry"]).exit_code != 0


def test_a_resent_mail_has_the_same_message_id(app, db, smtp_server):
    """A crash after sending but before recording "sent" sends it again: the receiving side
    must be able to see it is the same mail."""
    note = _notify(factories.user("coordinator"))
    other = _notify(factories.user("coordinator"))
    db.session.commit()
    service.deliver_pending(NOW)
    # As after the crash: the ledger still says pending.
    db.session.execute(sa.update(Notification).where(Notification.id == note.id)
                       .values(status="pending", sent_at=None))
    db.session.commit()
    service.deliver_pending(NOW + timedelta(minutes=5))

    ids = [(m.envelope_to[0], m["Message-ID"]) for m in smtp_server.messages]
    first, resent = [mid for to, mid in ids if to == note.email]
    [other_id] = [mid for to, mid in ids if to == other.email]
    assert first == resent
    assert other_id != first
    assert first.startswith("<") and first.endswith(">") and "@" in first


def test_a_hanging_mail_server_holds_one_run_only_briefly(app, db):
    """A server that accepts and then says nothing: each connection gives up after the
    timeout, the run stops after its budget, and what is left stays pending, untried."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(20)
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=listener.getsockname()[1],
                      MAIL_TIMEOUT=0.3, MAIL_RUN_BUDGET=1.0)
    try:
        for _ in range(8):
            _notify(factories.user("coordinator"))
        db.session.commit()
        started = time.monotonic()
        tried = service.deliver_pending(NOW)
        took = time.monotonic() - started
    finally:
        app.config.update(MAIL_SERVER=None, MAIL_PORT=25, MAIL_TIMEOUT=10.0,
                          MAIL_RUN_BUDGET=60.0)
        listener.close()

    assert took < 4, "budget 1 s plus at most one timeout (0.3 s), with room for a busy machine"
    assert 1 <= len(tried) < 8 and {n.status for n in tried} == {"failed"}
    assert "could not be sent" in tried[0].last_error
    left = _ledger(status="pending")
    assert len(left) == 8 - len(tried) and {n.attempts for n in left} == {0}


def test_a_message_claimed_by_another_process_is_not_sent_again(app, db, smtp_server):
    user = factories.user("coordinator")
    note = _notify(user)
    db.session.commit()
    # Another process took this attempt (its attempt count moved on) and sent it.
    db.session.execute(sa.update(Notification).where(Notification.id == note.id)
                       .values(status="sent", attempts=1, sent_at=NOW))
    db.session.commit()

    assert service.deliver_pending(NOW) == []
    assert smtp_server.messages == []


def test_a_message_that_cannot_be_built_does_not_stop_the_queue(app, db, smtp_server):
    """A line break in a subject makes building the mail fail; the mails after it go."""
    first, second = factories.user("coordinator"), factories.user("coordinator")
    bad = _notify(first, subject="Houvast: Fatima\nEl Amrani")
    good = _notify(second)
    db.session.commit()

    delivered = service.deliver_pending(NOW)

    assert [(n.id, n.status) for n in delivered] == [(bad.id, "failed"), (good.id, "sent")]
    db.session.refresh(bad)
    assert "could not be built" in bad.last_error
    assert bad.next_attempt_at is None, "it would fail the same way on every try"
    [msg] = smtp_server.messages
    assert msg.envelope_to == [second.email]


# --- Digest sections ----------------------------------------------------------------------------

def test_features_can_add_a_digest_section(db):
    user = factories.user("coordinator")
    volunteer = factories.user("volunteer")

    @digest_section(order=999)
    def _extra(u, now):
        return DigestSection("Zorgen van vrijwilligers", [(f"Over {u.name}", "http://x/1")])

    try:
        titles = [s.title for s in sections_for(user, NOW)]
        assert titles[-1] == "Zorgen van vrijwilligers"
        assert "Zorgen van vrijwilligers" not in [s.title for s in sections_for(volunteer, NOW)]
    finally:
        service._sections[:] = [r for r in service._sections if r.fn is not _extra]


# --- The in-app list ----------------------------------------------------------------------------

def test_berichten_shows_own_messages_newest_first_with_unread_count(client, auth, db):
    user = auth.as_role("coordinator")
    other = factories.user("coordinator")
    _notify(user, kind="digest", period="2026-11-20", subject="Oud bericht",
            now=NOW - timedelta(days=3))
    _notify(user, kind="digest", period="2026-11-23", subject="Nieuw bericht")
    _notify(other, subject="Bericht voor iemand anders")
    db.session.commit()

    html = client.get("/berichten/").get_data(as_text=True)

    assert html.index("Nieuw bericht") < html.index("Oud bericht")
    assert "Bericht voor iemand anders" not in html
    assert "Berichten" in html and '<span class="badge badge-alert">2' in html


def test_berichten_is_paginated(app, client, auth, db):
    user = auth.as_role("staff")
    for day in range(app.config["PER_PAGE"] + 3):
        _notify(user, period=f"p{day}", subject=f"Bericht nummer {day:02d}",
                now=NOW + timedelta(minutes=day))
    db.session.commit()

    first = client.get("/berichten/").get_data(as_text=True)
    second = client.get("/berichten/?page=2").get_data(as_text=True)

    assert "Bericht nummer 27" in first and "Bericht nummer 00" not in first
    assert "Bericht nummer 00" in second and "Pagina 2 van 2" in second


def test_marking_read_lowers_the_count_and_only_for_own_messages(client, auth, db):
    user = auth.as_role("volunteer")
    other = factories.user("volunteer")
    mine = _notify(user)
    theirs = _notify(other)
    db.session.commit()

    assert client.post(f"/berichten/{theirs.id}/gelezen").status_code == 404
    response = client.post(f"/berichten/{mine.id}/gelezen")

    assert response.status_code == 302
    db.session.refresh(mine)
    db.session.refresh(theirs)
    assert mine.read_at is not None and theirs.read_at is None
    assert 'badge badge-alert' not in client.get("/berichten/").get_data(as_text=True)


def test_opening_a_message_link_marks_it_read_and_goes_to_the_page(client, auth, db):
    user = auth.as_role("coordinator")
    note = _notify(user)
    db.session.commit()

    response = client.get(f"/berichten/{note.id}/open")

    assert response.status_code == 302
    assert response.headers["Location"] == "http://127.0.0.1:5000/taken"
    db.session.refresh(note)
    assert note.read_at is not None


def test_mark_all_read(client, auth, db):
    user = auth.as_role("coordinator")
    _notify(user, period="a")
    _notify(user, period="b")
    db.session.commit()

    client.post("/berichten/alles-gelezen")

    assert service.unread_count(user) == 0


def test_nav_count_costs_one_query(app, client, auth, db, count_queries):
    user = auth.as_role("coordinator")
    for day in range(30):
        _notify(user, period=f"p{day}")
    db.session.commit()

    with count_queries() as statements:
        html = client.get("/berichten/instellingen").get_data(as_text=True)

    assert '<span class="badge badge-alert">30' in html
    about_notifications = [s for s in statements if "notifications" in s]
    # The menu's other count from the same table, "Te printen" (letters to participants),
    # is one query of its own.
    letters = [s for s in about_notifications if "participant_id" in s]
    unread = [s for s in about_notifications if s not in letters]
    assert len(unread) == 1 and "count(" in unread[0].lower()
    assert len(letters) == 1 and "count(" in letters[0].lower()


@pytest.mark.parametrize("path", ["/berichten/", "/berichten/instellingen"])
def test_berichten_needs_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/inloggen" in response.headers["Location"]


def _checked(page: str) -> str:
    [value] = re.findall(r'<input checked[^>]*value="(\w+)"', page)
    return value


def test_choosing_no_email_keeps_messages_in_the_app(client, auth, db):
    user = auth.as_role("staff")
    page = client.get("/berichten/instellingen").get_data(as_text=True)
    assert _checked(page) == "digest"

    response = client.post("/berichten/instellingen", data={"email_preference": "none"})

    assert response.status_code == 302
    db.session.refresh(user)
    assert user.email_preference == "none"
    assert _notify(user).channel == "app"
    assert _checked(client.get("/berichten/instellingen").get_data(as_text=True)) == "none"


def test_settings_rejects_an_unknown_choice(client, auth, db):
    user = auth.as_role("staff")

    response = client.post("/berichten/instellingen", data={"email_preference": "elk uur"})

    assert response.status_code == 200
    assert "field-error" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.email_preference == "digest"
