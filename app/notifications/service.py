"""Claiming, recording and delivering notifications; the digest section registry.

Every reminder or signal is first claimed in the `Notification` ledger with an insert that
does nothing when the same (kind, subject, recipient, period) already exists. Only the process
whose claim succeeded goes on, so a repeated or concurrent run never sends anything twice.
E-mail is sent later by `deliver_pending`, after the claim has been committed.
"""

import gc
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from app.auth.models import Role, User
from app.auth.permissions import own_notifications
from app.core.db import dialect_insert
from app.core.mail import MailError, build_message, external_url, send_message
from app.extensions import db
from app.notifications.models import Notification, NotificationStatus

log = logging.getLogger(__name__)

# A failed e-mail waits before its next attempt: 5, 10, 20, 40 minutes, then every hour.
# A mail server that is down for an hour or two is common (maintenance, a provider's
# outage); quick retries in a row would all fall inside it. The message is given up (stays
# "failed" with no next attempt) only when it has been tried for RETRY_FOR from its first
# attempt (not from the claim: the scheduler may have been down in between) AND at least
# MIN_ATTEMPTS times. `flask mail failed` lists given-up mail with its error, `mail retry`
# queues it again.
FIRST_RETRY_AFTER = timedelta(minutes=5)
MAX_RETRY_AFTER = timedelta(hours=1)
RETRY_FOR = timedelta(hours=24)
MIN_ATTEMPTS = 10
# The delivery job runs every 5 minutes but starts a moment later each time; a retry due
# within this margin goes in this run instead of waiting 5 more minutes.
RETRY_MARGIN = timedelta(minutes=1)


def retry_after(attempts: int) -> timedelta:
    """The pause after the `attempts`-th failed attempt (1, 2, ...)."""
    pause = FIRST_RETRY_AFTER * 2 ** max(attempts - 1, 0)
    return min(pause, MAX_RETRY_AFTER)


def next_attempt(note: Notification, now: datetime) -> datetime | None:
    """When to try a message again that failed at `now`; None: give up."""
    first = note.first_attempt_at or now
    if now - first >= RETRY_FOR and note.attempts >= MIN_ATTEMPTS:
        return None
    return now + retry_after(note.attempts)

# Advisory lock keys (PostgreSQL): one per sweep, plus one for the `jobs run` process.
LOCK_KEYS = {
    "out_of_view_scan": 7_301_001,
    "daily_digest": 7_301_002,
    "volunteer_reminders": 7_301_003,
    "deliver": 7_301_004,
    "referrer_signals": 7_301_005,
    "jobs": 7_301_010,
    "scheduler_process": 7_301_100,
}


def user_key(user) -> str:
    return f"user:{user.id}"


def receives_email(user) -> bool:
    """Only accounts that are active and have set a password get e-mail about their work: an
    invitation never accepted (perhaps sent to a mistyped address) gets no digests."""
    return bool(user.active and user.password_hash and user.email)


def channel_for(user) -> str:
    """E-mail only for active users with a password who chose the daily e-mail; everyone has
    the in-app list."""
    if receives_email(user) and user.email_preference == "digest":
        return "email"
    return "app"


def _insert():
    return dialect_insert(Notification)


_UNIQUE = ["kind", "subject_key", "recipient_key", "period_key"]


def _row(*, kind, subject_key, recipient, period_key, subject, body, link, now, html,
         allow_email) -> dict:
    channel = channel_for(recipient) if allow_email else "app"
    return {
        "kind": kind, "subject_key": subject_key, "recipient_key": user_key(recipient),
        "period_key": period_key, "user_id": recipient.id, "email": recipient.email,
        "channel": channel, "subject": subject[:200], "body": body, "html": html,
        "link": link,
        "status": NotificationStatus.PENDING if channel == "email" else NotificationStatus.SENT,
        "attempts": 0, "created_at": now, "sent_at": None if channel == "email" else now,
    }


def notify(*, kind: str, subject_key: str, recipient, period_key: str, subject: str,
           body: str, link: str | None, now: datetime, html: str | None = None,
           allow_email: bool = True) -> Notification | None:
    """Claim one message; the row when this call made the claim, None when it existed already.

    `allow_email=False` keeps a signal in the app only (alerts: they also appear in the next
    daily digest, and users who chose a daily e-mail get no more than one a day).
    """
    stmt = (
        _insert()
        .values(**_row(kind=kind, subject_key=subject_key, recipient=recipient,
                       period_key=period_key, subject=subject, body=body, link=link, now=now,
                       html=html, allow_email=allow_email))
        .on_conflict_do_nothing(index_elements=_UNIQUE)
        .returning(Notification)
    )
    # The row itself comes back from the insert: no second query to read it.
    return db.session.scalar(stmt)


def notify_address(*, kind: str, subject_key: str, recipient_key: str, email: str,
                   period_key: str, subject: str, body: str, now: datetime,
                   html: str | None = None) -> Notification | None:
    """Claim an e-mail to someone without an account (a partner's contact person)."""
    row = {
        "kind": kind, "subject_key": subject_key, "recipient_key": recipient_key,
        "period_key": period_key, "user_id": None, "email": email, "channel": "email",
        "subject": subject[:200], "body": body, "html": html, "link": None,
        "status": NotificationStatus.PENDING, "attempts": 0, "created_at": now, "sent_at": None,
    }
    stmt = (_insert().values(**row).on_conflict_do_nothing(index_elements=_UNIQUE)
            .returning(Notification))
    return db.session.scalar(stmt)


# Checks run just before an e-mail of a kind goes out; False marks it "skipped" instead.
# The partner loop uses this: a consent withdrawn after the claim stops the queued message.
_delivery_guards: dict[str, Callable[[Notification], bool]] = {}


def delivery_guard(kind: str):
    def register(fn: Callable[[Notification], bool]):
        _delivery_guards[kind] = fn
        return fn

    return register


@dataclass(frozen=True)
class Message:
    """One message for `notify_many`: the same fields as `notify` takes."""

    kind: str
    subject_key: str
    recipient: object
    period_key: str
    subject: str
    body: str
    link: str | None
    html: str | None = None
    allow_email: bool = True


def notify_many(messages: Sequence[Message], now: datetime) -> list[Notification]:
    """Claim many messages at once (the first scan of a big installation flags thousands).

    One statement, compiled once and sent in batches by the driver ("insertmanyvalues").
    """
    if not messages:
        return []
    rows = [
        _row(kind=m.kind, subject_key=m.subject_key, recipient=m.recipient,
             period_key=m.period_key, subject=m.subject, body=m.body, link=m.link,
             now=now, html=m.html, allow_email=m.allow_email)
        for m in messages
    ]
    stmt = _insert().on_conflict_do_nothing(index_elements=_UNIQUE).returning(Notification)
    return sorted(db.session.scalars(stmt, rows).all(), key=lambda n: n.id)


def record_nothing_to_send(kind: str, recipients: Sequence, period_key: str,
                           now: datetime) -> None:
    """Claim `kind` for `period_key` for recipients who have nothing in it (one statement).

    The decision for the period is made and kept in the ledger as "skipped": never sent,
    not in the in-app list. A claim that exists already stays as it is.
    """
    if not recipients:
        return
    rows = [{
        "kind": kind, "subject_key": user_key(user), "recipient_key": user_key(user),
        "period_key": period_key, "user_id": user.id, "email": user.email, "channel": "app",
        "subject": _("(niets te melden)"), "body": "", "html": None, "link": None,
        "status": NotificationStatus.SKIPPED, "attempts": 0, "created_at": now, "sent_at": None,
        "read_at": now,
    } for user in recipients]
    db.session.execute(_insert().on_conflict_do_nothing(index_elements=_UNIQUE), rows)


def already_claimed(kind: str, period_key: str, recipient_keys: set[str] | None = None
                    ) -> set[str]:
    """Recipient keys that already have a `kind` message for `period_key` (one query)."""
    query = sa.select(Notification.recipient_key).where(
        Notification.kind == kind, Notification.period_key == period_key
    )
    if recipient_keys is not None:
        query = query.where(Notification.recipient_key.in_(recipient_keys))
    return set(db.session.scalars(query))


def message_key(note: Notification) -> str:
    """What the Message-ID is derived from: the ledger row, the same on every resend. The
    claim's key and moment are in it, so another installation's row 12 gets another id."""
    return "|".join((str(note.id), note.kind, note.subject_key, note.recipient_key,
                     note.period_key, note.created_at.isoformat()))


class DeliveryError(Exception):
    """A channel other than e-mail could not send. `permanent`: it never will (the message
    is given up at once); otherwise it is tried again with the growing pause."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class _ChannelSender:
    send: Callable[[Notification, datetime], None]
    # True at moments this channel must not send (quiet hours): its messages wait.
    quiet: Callable[[datetime], bool] | None


# Channels besides e-mail that `deliver_pending` sends: the participant's SMS and WhatsApp
# (app/messaging registers them, so this module needs no gateway).
_channel_senders: dict[str, _ChannelSender] = {}
# Checks for every message to a participant just before it goes (consent, STOP).
_participant_guards: list[Callable[[Notification], bool]] = []

# Every channel that is sent, and so can fail and be retried.
SENT_CHANNELS = ("email", "sms", "whatsapp")


def register_participant_channel(channel: str, send: Callable[[Notification, datetime], None],
                                 quiet: Callable[[datetime], bool] | None = None) -> None:
    _channel_senders[str(channel)] = _ChannelSender(send, quiet)


def participant_delivery_guard(fn: Callable[[Notification], bool]) -> None:
    if fn not in _participant_guards:
        _participant_guards.append(fn)


# Checks for every message, whatever its kind (privacy: nothing about a restricted person).
_global_guards: list[Callable[[Notification], bool]] = []


def global_delivery_guard(fn: Callable[[Notification], bool]) -> None:
    if fn not in _global_guards:
        _global_guards.append(fn)


def _sendable_channels(now: datetime) -> list[str]:
    return ["email"] + [channel for channel, sender in _channel_senders.items()
                        if sender.quiet is None or not sender.quiet(now)]


def _allowed(note: Notification) -> bool:
    # The account may have been switched off since the message was claimed.
    if note.channel == "email" and note.user is not None and not receives_email(note.user):
        return False
    guard = _delivery_guards.get(note.kind)
    if guard is not None and not guard(note):
        return False
    if not all(g(note) for g in _global_guards):
        return False
    if note.participant_id is not None:
        return all(g(note) for g in _participant_guards)
    return True


def _send_email(note: Notification, now: datetime) -> None:
    try:
        msg = build_message(note.email, note.subject, note.body, note.html,
                            message_key=message_key(note))
    except Exception as exc:
        # A message that cannot be built (a line break in a header, a broken address)
        # fails the same way on every try: given up at once, and the queue goes on.
        log.exception("mail %s could not be built; given up", note.id)
        raise DeliveryError(f"could not be built: {exc.__class__.__name__}: {exc}",
                            permanent=True) from exc
    send_message(msg)


def deliver_pending(now: datetime) -> list[Notification]:
    """Send every message that is claimed but not sent yet (e-mail, and the participant's
    SMS and WhatsApp outside their quiet hours), and every failed one whose next attempt is
    due; commits per message.

    A message is claimed for an attempt by raising its attempt count with a conditional
    UPDATE (only one process wins; CLAIM_BATCH messages per statement), and that is
    committed before the message goes out; each outcome is committed on its own.
    Outcome: "sent" with `sent_at`, or "failed" with the error and `next_attempt_at` (none
    when it has been tried for long enough: see RETRY_FOR). A crash between sending and
    recording "sent" means the message may go once more: better twice than never for a
    reminder. A message with `not_before` waits until then.
    """

    db.session.commit()  # claims made earlier in this transaction are on disk first
    # Each commit below expires every object the session still holds. After the morning's
    # digests that is thousands of rows no longer used but not yet freed (loaded relations
    # refer to each other, so only the cycle collector frees them): free them once here,
    # or every one of thousands of commits pays for them.
    gc.collect()
    # Both halves are served by the (status, next_attempt_at) index.
    pending = db.session.execute(
        sa.select(Notification.id, Notification.attempts)
        .where(Notification.channel.in_(_sendable_channels(now)),
               sa.or_(Notification.not_before.is_(None),
                      Notification.not_before <= now + RETRY_MARGIN),
               sa.or_(Notification.status == NotificationStatus.PENDING,
                      sa.and_(Notification.status == NotificationStatus.FAILED,
                              Notification.next_attempt_at <= now + RETRY_MARGIN)))
        .order_by(Notification.id)
    ).all()
    # Ids, not rows, until the end: every commit expires what the session holds, and
    # thousands of rows kept alive would make each message's commits cost more than the last.
    done: list[int] = []
    budget = current_app.config.get("MAIL_RUN_BUDGET", 60.0)
    started = time.monotonic()
    claimed: list[int] = []
    for position, (note_id, _attempts) in enumerate(pending):
        if time.monotonic() - started >= budget:
            # A slow or hanging server: the jobs lock is not held for long, and the
            # untouched messages keep their place for the next run.
            log.warning("delivery stopped after %.0f s; %d message(s) wait for the next "
                        "run", budget, len(pending) - position)
            _unclaim(claimed)
            break
        if not claimed:
            claimed = _claim(pending[position:position + CLAIM_BATCH])
        if note_id not in claimed:
            continue  # another process took this attempt
        claimed.remove(note_id)
        # With its user in the same query (the e-mail check reads it); the user's
        # locations are not needed here.
        note = db.session.scalars(
            sa.select(Notification).where(Notification.id == note_id)
            .options(joinedload(Notification.user).lazyload(User.locations))
            .execution_options(populate_existing=True)).one()
        if not _allowed(note):
            note.status = NotificationStatus.SKIPPED
            note.last_error = None
            note.next_attempt_at = None
            db.session.commit()
            done.append(note_id)
            continue
        # The retry window starts at the first try (recorded with its outcome).
        note.first_attempt_at = note.first_attempt_at or now
        try:
            if note.channel == "email":
                _send_email(note, now)
            else:
                _channel_senders[note.channel].send(note, now)
        except DeliveryError as exc:
            note.status = NotificationStatus.FAILED
            note.last_error = str(exc)[:300]
            note.next_attempt_at = None if exc.permanent else next_attempt(note, now)
        except Exception as exc:
            if not isinstance(exc, MailError):
                log.exception("message %s failed unexpectedly; tried again later", note.id)
            note.status = NotificationStatus.FAILED
            note.last_error = (str(exc) if isinstance(exc, MailError)
                               else f"{exc.__class__.__name__}: {exc}")[:300]
            note.next_attempt_at = next_attempt(note, now)
        else:
            note.status = NotificationStatus.SENT
            note.sent_at = now
            note.last_error = None
            note.next_attempt_at = None
        db.session.commit()
        done.append(note_id)
    return load_notifications(done)


# Messages claimed for an attempt per UPDATE (and commit): each is still sent and recorded in
# a transaction of its own, so a crash can repeat at most the one message being sent.
CLAIM_BATCH = 50


def _claim(batch: Sequence) -> list[int]:
    """Claim an attempt at each of `batch` ((id, attempts) as read): raise the attempt count
    where it is still the one read, so of two processes only one wins each message. The ids
    won, committed before anything is sent."""
    read = {note_id: attempts for note_id, attempts in batch}
    won = set(db.session.scalars(
        sa.update(Notification)
        .where(Notification.id.in_(list(read)),
               Notification.attempts == sa.case(read, value=Notification.id),
               Notification.status.in_((NotificationStatus.PENDING,
                                        NotificationStatus.FAILED)))
        .values(attempts=Notification.attempts + 1)
        .returning(Notification.id)
        .execution_options(synchronize_session=False)))
    db.session.commit()
    return [note_id for note_id in read if note_id in won]


def _unclaim(ids: list[int]) -> None:
    """Give back the attempts claimed but not made (the run's time is up): untried."""
    if ids:
        db.session.execute(
            sa.update(Notification).where(Notification.id.in_(ids))
            .values(attempts=Notification.attempts - 1)
            .execution_options(synchronize_session=False))
        db.session.commit()


def load_notifications(ids: Sequence[int]) -> list[Notification]:
    """The ledger rows `ids`, in that order, in a query per 500."""
    rows: dict[int, Notification] = {}
    for start in range(0, len(ids), 500):
        rows.update((n.id, n) for n in db.session.scalars(
            sa.select(Notification).where(Notification.id.in_(ids[start:start + 500]))))
    return [rows[i] for i in ids]


def given_up_query() -> sa.Select:
    """E-mail that is failed for good: no next attempt is planned."""
    return (sa.select(Notification)
            .where(Notification.channel.in_(SENT_CHANNELS),
                   Notification.status == NotificationStatus.FAILED,
                   Notification.next_attempt_at.is_(None))
            .order_by(Notification.id))


def retry_given_up(ids: Sequence[int] | None = None) -> int:
    """Queue given-up mail again (all, or those `ids`) with a fresh retry window; the number.

    The error stays until the next attempt, so the operator can still see why it failed.
    """
    query = (sa.update(Notification)
             .where(Notification.channel.in_(SENT_CHANNELS),
                    Notification.status == NotificationStatus.FAILED,
                    Notification.next_attempt_at.is_(None))
             .values(status=NotificationStatus.PENDING, first_attempt_at=None)
             .execution_options(synchronize_session=False))
    if ids is not None:
        query = query.where(Notification.id.in_(list(ids)))
    return db.session.execute(query).rowcount


@contextmanager
def sweep_lock(name: str) -> Iterator[bool]:
    """On PostgreSQL: True when this process may run sweep `name`, False when another does.

    The lock is a transaction-level advisory lock held by its own connection for the whole
    sweep, so the sweep itself may commit as often as it needs to. SQLite runs in one
    process only: always True.
    """
    engine = db.engine
    if engine.dialect.name != "postgresql":
        yield True
        return
    with engine.connect() as conn:
        acquired = bool(conn.scalar(sa.text("SELECT pg_try_advisory_xact_lock(:k)"),
                                    {"k": LOCK_KEYS[name]}))
        try:
            yield acquired
        finally:
            conn.rollback()  # ends the transaction, which releases the lock


# --- Digest sections ----------------------------------------------------------------------

@dataclass
class DigestSection:
    title: str
    # (text, absolute link) per item.
    items: list[tuple[str, str]] = field(default_factory=list)


SectionFn = Callable[[object, datetime], DigestSection | None]


@dataclass(frozen=True)
class _Registered:
    fn: SectionFn
    order: int
    roles: tuple[str, ...]


_sections: list[_Registered] = []

DIGEST_ROLES = (Role.COORDINATOR, Role.STAFF)


def digest_section(fn: SectionFn | None = None, *, order: int = 100,
                   roles: tuple[Role, ...] = DIGEST_ROLES):
    """Register `fn(user, now) -> DigestSection | None` as a part of the daily mail.

    Called from a feature's `connect_hooks()` (`digest_section(fn, order=40)`); without
    `order` a section comes after the built-in ones. It goes to the coordinator and staff
    digest; `roles=(Role.VOLUNTEER,)` puts it in the volunteers' daily reminder instead.
    A section must use a fixed number of queries, whatever the number of items.
    """

    def register(f: SectionFn) -> SectionFn:
        if all(r.fn is not f for r in _sections):
            _sections.append(_Registered(f, order, tuple(roles)))
            _sections.sort(key=lambda r: r.order)
        return f

    return register(fn) if fn is not None else register


# --- What a batch of daily messages shares ---------------------------------------------------
# The daily sweep builds its messages in batches of users, one transaction each. A section
# that needs the same thing for every user (their previous digest, say) asks
# `batch_cache(name)` and fills it for all of `batch_users()` at its first call, so the
# batch costs one query where each user would cost one. Both end with the transaction.

_BATCH_KEY = "houvast_digest_batch"
_CACHE_PREFIX = "houvast_cache:"


def start_batch(users: Sequence) -> None:
    """The users whose daily messages this transaction builds."""
    db.session.info[_BATCH_KEY] = list(users)


def batch_users(user) -> list:
    """The users of the current batch, or just `user` outside one (a page, a test)."""
    users = db.session.info.get(_BATCH_KEY) or []
    return users if any(u is user for u in users) else [user]


def transaction_cache(name: str) -> dict:
    """A dict that lives until the end of the current transaction."""
    return db.session.info.setdefault(_CACHE_PREFIX + name, {})


@sa.event.listens_for(sa.orm.Session, "after_commit")
@sa.event.listens_for(sa.orm.Session, "after_rollback")
def _forget_batch(session) -> None:
    for key in [k for k in session.info if k == _BATCH_KEY or k.startswith(_CACHE_PREFIX)]:
        session.info.pop(key, None)


def sections_for(user, now: datetime) -> list[DigestSection]:
    """The non-empty digest sections for `user` at `now`, in order."""
    result = []
    for registered in list(_sections):
        if user.role not in registered.roles:
            continue
        section = registered.fn(user, now)
        if section is not None and section.items:
            result.append(section)
    return result


def absolute_url(endpoint: str, **values) -> str:

    return external_url(endpoint, **values)


# --- The in-app list ------------------------------------------------------------------------

def inbox_query(user) -> sa.Select:
    """The user's messages for /berichten: what was never sent is no message to read."""

    return own_notifications(user).where(Notification.status != NotificationStatus.SKIPPED,
                                         _not_about_restricted())


def _not_about_restricted() -> sa.ColumnElement[bool]:
    # Privacy (AVG art. 18): a restricted person leaves the in-app list as well.
    from app.privacy.restriction import note_not_about_restricted

    return note_not_about_restricted(Notification)


def unread_count(user) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Notification.id))
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ) or 0


def mark_read(notification: Notification, now: datetime) -> None:
    if notification.read_at is None:
        notification.read_at = now


def mark_all_read(user, now: datetime) -> int:
    return db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount


def set_email_preference(user, preference: str) -> None:
    if preference not in ("digest", "none"):
        raise ValueError(preference)
    user.email_preference = preference
