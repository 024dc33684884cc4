"""The daily digest for coordinators and staff, and the daily reminder for volunteers."""

from datetime import datetime

import sqlalchemy as sa
from flask import render_template
from flask_babel import format_date, ngettext
from flask_babel import gettext as _

from app.auth.models import Role, User
from app.core.timeutil import is_working_day, local_date, local_datetime
from app.extensions import db
from app.notifications.links import settings_link, tasks_link
from app.notifications.models import Notification
from app.notifications.service import (
    DIGEST_ROLES,
    DigestSection,
    Message,
    already_claimed,
    notify_many,
    record_nothing_to_send,
    sections_for,
    start_batch,
    sweep_lock,
    user_key,
)

DIGEST_HOUR = 7  # local time; the mail is there when the working day starts
# A long section is cut off in the mail; the link leads to the full list.
MAX_ITEMS_PER_SECTION = 25


def digest_due(now: datetime) -> bool:
    """From 07:00 local time on a working day (no weekend, no closed day of the Taalhuis).

    Any run after 07:00 catches up a missed one. The ledger keeps it to one decision per
    user per day, also when that decision was "nothing to send" (see `_send_daily`).
    """
    local = local_datetime(now)
    return local.hour >= DIGEST_HOUR and is_working_day(local.date())


def daily_digest(now: datetime) -> list[Notification]:
    return _daily_sweep("daily_digest", User.role.in_(DIGEST_ROLES), "digest", now)


def volunteer_reminders(now: datetime) -> list[Notification]:
    return _daily_sweep("volunteer_reminders", User.role == Role.VOLUNTEER,
                        "volunteer_reminder", now)


def _daily_sweep(lock_name: str, roles: sa.ColumnElement[bool], kind: str,
                 now: datetime) -> list[Notification]:
    """Once a working day, under its own lock: the daily message `kind` to the active users
    of `roles` who have set a password (an invitation never accepted gets nothing)."""
    if not digest_due(now):
        return []
    with sweep_lock(lock_name) as acquired:
        if not acquired:
            return []
        period = local_date(now).isoformat()
        # Who already had today's decision is left out in SQL: the hourly runs after 07:00
        # then cost two small queries, however many users there are.
        user_ids = list(db.session.scalars(
            sa.select(User.id)
            .where(User.active.is_(True), User.password_hash.is_not(None), roles,
                   ~sa.exists().where(Notification.kind == kind,
                                      Notification.subject_key == _user_key_sql(),
                                      Notification.recipient_key == _user_key_sql(),
                                      Notification.period_key == period))
            .order_by(User.id)))
        claimed: list[Notification] = []
        for start in range(0, len(user_ids), BATCH_SIZE):
            claimed += _send_daily(user_ids[start:start + BATCH_SIZE], kind, now)
        return claimed


def _user_key_sql() -> sa.ColumnElement[str]:
    """`user_key(user)` in SQL: a daily message is about its recipient ("user:7" twice), so
    the ledger's unique index finds today's decision."""
    return sa.literal("user:") + sa.cast(User.id, sa.String)


# Users per transaction: a failure loses at most one batch's work (nothing is sent before
# the claims are committed, and a later run claims what this one did not), while the
# queries a batch shares (the users, their locations, previous digests) stay few.
BATCH_SIZE = 100


def _send_daily(user_ids: list[int], kind: str, now: datetime) -> list[Notification]:
    """Build and claim the daily message `kind` for these users, in one transaction."""
    period = local_date(now).isoformat()
    users = db.session.scalars(sa.select(User).where(User.id.in_(user_ids))
                               .order_by(User.id)).all()
    # Sections that need something per user for the whole batch load it once.
    start_batch(users)
    # A claim made meanwhile by another process: skipped (the insert would do nothing).
    done = already_claimed(kind, period, {user_key(u) for u in users})
    messages, empty = [], []
    for user in users:
        if user_key(user) in done:
            continue
        parts = sections_for(user, now)
        if not parts:
            # Nothing today is a decision too, recorded like a message: otherwise a later
            # run (hourly, to catch up missed mornings) would send a "daily" message in
            # the afternoon as soon as one thing turns up. That thing waits for tomorrow.
            empty.append(user)
            continue
        subject, text, html = render_digest(user, parts, now, kind)
        messages.append(Message(kind=kind, subject_key=user_key(user), recipient=user,
                                period_key=period, subject=subject, body=text, html=html,
                                link=tasks_link()))
    claimed = notify_many(messages, now)
    record_nothing_to_send(kind, empty, period, now)
    db.session.commit()
    return claimed


def render_digest(user, parts: list[DigestSection], now: datetime, kind: str = "digest"
                  ) -> tuple[str, str, str]:
    """Subject, plain text and HTML of one daily message."""
    total = sum(len(section.items) for section in parts)
    day = format_date(local_date(now), "EEEE d MMMM")
    subject = ngettext("Houvast: %(num)d ding voor vandaag (%(day)s)",
                       "Houvast: %(num)d dingen voor vandaag (%(day)s)", total, day=day)
    shown = [
        {"title": s.title, "entries": s.items[:MAX_ITEMS_PER_SECTION],
         "more": max(0, len(s.items) - MAX_ITEMS_PER_SECTION), "count": len(s.items)}
        for s in parts
    ]
    context = {
        "user": user, "sections": shown, "total": total, "day": day, "kind": kind,
        "start_link": tasks_link(),
        "settings_link": settings_link(),
        "intro": (_("Dit staat vandaag voor u klaar in Houvast.") if kind == "digest"
                  else _("Deze contactmomenten staan voor u klaar.")),
    }
    text = render_template("mail/digest.txt", **context)
    html = render_template("mail/digest.html", **context)
    return subject, text, html
