"""No session logged for a while: a reminder to the volunteer, later an alert to the coordinator.

DESIGN.md: 21 days without a session → reminder to the volunteer; 42 days → alert to the
coordinator (both thresholds an admin can change, app/core/followup.py). The silence is
counted from the last session, or from the start of the match when there is none. Each
reminder goes once per match per silence: the period key is the day the silence began, so a
new session starts a new silence (and a new reminder as long after).
"""

from datetime import datetime

import sqlalchemy as sa
from flask import render_template
from flask_babel import format_date
from flask_babel import gettext as _

from app.auth.permissions import (
    coordinators_by_location,
    responsible_users,
    unowned_locations,
)
from app.core.followup import period_text, thresholds
from app.extensions import db
from app.matching import service as matching
from app.matching.models import Match
from app.notifications.links import settings_link
from app.notifications.models import Notification
from app.notifications.service import Message, absolute_url, notify_many
from jobs.digest import digest_due


def _period(match, *, news: bool = False) -> str:
    return f"since:{matching.silence_anchor(match, news=news).isoformat()}"


def _told(kind: str, matches) -> set[tuple[str, str]]:
    """(subject key, period key) of the reminders already in the ledger, in one query: a
    match stays silent for weeks, and its mail need not be rendered again every hour."""
    keys = [f"match:{m.id}" for m in matches]
    if not keys:
        return set()
    return {tuple(row) for row in db.session.execute(
        sa.select(Notification.subject_key, Notification.period_key)
        .where(Notification.kind == kind, Notification.subject_key.in_(keys)))}


def _not_told(kind: str) -> sa.ColumnElement[bool]:
    """SQL on Match: no `kind` reminder in the ledger for the current silence (the period
    `_period(match, news=True)` computes in Python), found by the ledger's unique index."""
    news = sa.case((sa.and_(Match.last_not_held_on.is_not(None),
                            sa.or_(Match.last_session_on.is_(None),
                                   Match.last_not_held_on > Match.last_session_on)),
                    Match.last_not_held_on),
                   else_=Match.last_session_on)
    anchor = sa.func.coalesce(news, Match.started_on)
    return ~sa.exists().where(
        Notification.kind == kind,
        Notification.subject_key == sa.literal("match:") + sa.cast(Match.id, sa.String),
        Notification.period_key == sa.literal("since:") + sa.cast(anchor, sa.String))


def _volunteer_messages(matches) -> list[Message]:
    messages = []
    told = _told("volunteer_silent_21", matches)
    for match in matches:
        user = match.volunteer.user
        if user is None or not user.active or not user.has_password:
            continue
        # A "ging niet door" is news from the volunteer: their silence starts again from it.
        period = _period(match, news=True)
        if (f"match:{match.id}", period) in told:
            continue
        name = match.trajectory.participant.first_name
        subject = _("Hoe gaat het met %(name)s?", name=name)
        # Straight to the session form of this match: logging it is the one thing to do.
        link = absolute_url("volunteers.log_session", match_id=match.id)
        owner = match.trajectory.owner
        context = {
            "subject": subject, "user": user, "participant": name, "link": link,
            "day": format_date(matching.silence_anchor(match, news=True), "d MMMM"),
            "coordinator": owner.name if owner is not None and owner.active else None,
            "settings_link": settings_link(),
        }
        messages.append(Message(
            kind="volunteer_silent_21", subject_key=f"match:{match.id}", recipient=user,
            period_key=period, subject=subject,
            body=render_template("mail/volunteer_silence.txt", **context),
            html=render_template("mail/volunteer_silence.html", **context),
            link=link))
    return messages


def _coordinator_messages(matches) -> list[Message]:
    period = period_text(thresholds().volunteer_silence_alert_days)
    coordinators = coordinators_by_location(unowned_locations(m.trajectory for m in matches))
    messages = []
    for match in matches:
        trajectory = match.trajectory
        recipients = responsible_users(trajectory, coordinators)
        name = trajectory.participant.short_name
        day = format_date(matching.silence_anchor(match), "d MMMM")
        for user in recipients:
            messages.append(Message(
                kind="volunteer_silent_42", subject_key=f"match:{match.id}", recipient=user,
                period_key=_period(match),
                subject=_("Al %(period)s geen bijeenkomst: %(name)s", period=period, name=name),
                body=_("%(volunteer)s heeft sinds %(day)s geen bijeenkomst met %(name)s "
                       "vastgelegd. Bel even om te horen hoe het gaat.",
                       volunteer=match.volunteer.full_name, day=day, name=name),
                link=absolute_url("matching.trajectory", trajectory_id=trajectory.id),
                # An alert stays in the app and in the next digest: no extra mail.
                allow_email=False))
    return messages


def job(now: datetime) -> list[Notification]:
    """Claim the silence reminders that are due at `now`; safe to run any number of times."""
    if not digest_due(now):
        return []
    limits = thresholds()
    # Only the matches not reminded about for this silence yet: a match stays silent for
    # weeks, and the hourly run need not load it (and its people) again every hour.
    messages = _volunteer_messages(
        matching.silent_matches(now, limits.volunteer_silence_reminder_days, news=True,
                                where=(_not_told("volunteer_silent_21"),)))
    messages += _coordinator_messages(
        matching.silent_matches(now, limits.volunteer_silence_alert_days))
    claimed = notify_many(messages, now) if messages else []
    db.session.commit()
    return claimed
