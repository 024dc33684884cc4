"""The built-in parts of the daily digest (coordinators, staff) and volunteer reminder.

Each section runs a fixed number of queries, whatever the number of items. Participants are
named by first name and initial only: a mail can end up anywhere.
"""

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from sqlalchemy.orm import contains_eager, selectinload

from app.auth.permissions import has, not_restricted, trajectory_scope
from app.checkins import service as checkins
from app.checkins.models import CheckIn
from app.core.choices import CHECKIN_OUTCOME, label
from app.core.followup import period_text, thresholds
from app.core.timeutil import local_date, to_utc
from app.extensions import db
from app.notifications.links import checkin_link, participant_link, referral_contact_link
from app.notifications.models import Notification
from app.notifications.service import DigestSection, batch_users, transaction_cache
from app.participants.models import Trajectory, TrajectoryStatus
from app.referrals.models import Referral, ReferralResult


def _day(value) -> str:
    return format_date(value, "d MMMM")


def _location_ids(user) -> set[int]:
    return user.location_ids


def _checkin_text(checkin: CheckIn, today) -> str:
    name = checkin.trajectory.participant.short_name
    if checkin.due_on < today:
        when = _("te laat, was %(day)s", day=_day(checkin.due_on))
    else:
        when = _("vandaag")
    return f"{name}: {checkin.title} ({when})"


def due_checkins(user, now: datetime) -> list[CheckIn]:
    """Open check-ins due today or earlier for `user` (as on /taken).

    Two sections ask for them: read once per user and transaction.
    """
    cache = transaction_cache("digest_due_checkins")
    key = (user.id, now)
    if key not in cache:
        cache[key] = checkins.digest_checkins(user, now)
    return cache[key]


def checkins_section(user, now: datetime) -> DigestSection | None:
    today = local_date(now)
    items = [(_checkin_text(c, today) + _assignee_note(c, user), checkin_link(c, user))
             for c in due_checkins(user, now)]
    return DigestSection(_("Contactmomenten: te laat en vandaag"), items)


def _assignee_note(checkin: CheckIn, user) -> str:
    # Unassigned check-ins of the coordinator's locations are on their list too.
    if checkin.assignee_id is None:
        return " · " + _("nog niemand toegewezen")
    return ""


def late_referrals_section(user, now: datetime) -> DigestSection | None:
    """Referrals in the user's locations still without first contact after their due date,
    as on the "Nieuwe aanmeldingen" queue.

    Those already in the user's check-in section (their first-contact check-in) are not
    listed twice.
    """
    locations = _location_ids(user)
    if not locations:
        return None
    today = local_date(now)
    covered = {c.trajectory_id for c in due_checkins(user, now) if c.kind == "first_contact"}
    referrals = db.session.scalars(
        sa.select(Referral)
        .join(Referral.trajectory)
        .where(Referral.is_primary, Referral.result == ReferralResult.PENDING,
               Referral.first_contact_due < today,
               Trajectory.status == TrajectoryStatus.REFERRED,
               Trajectory.location_id.in_(locations),
               not_restricted(Trajectory.participant_id))
        .options(contains_eager(Referral.trajectory).joinedload(Trajectory.participant))
        .order_by(Referral.first_contact_due, Referral.id)
    ).all()
    items = [
        (_("%(name)s: eerste contact had er %(day)s moeten zijn",
           name=r.trajectory.participant.short_name, day=_day(r.first_contact_due)),
         referral_contact_link(r.trajectory))
        for r in referrals if r.trajectory_id not in covered
    ]
    return DigestSection(_("Aanmeldingen: nog geen eerste contact"), items)


def _last_digest_at(user) -> datetime | None:
    """When the user's previous digest was decided, also when it had nothing to send.

    For every user of the batch at once (one query, served by the ledger's unique index).
    """
    cache = transaction_cache("last_digest_at")
    if user.id not in cache:
        users = [u for u in batch_users(user) if u.id not in cache]
        keys = {f"user:{u.id}": u.id for u in users}
        cache.update(dict.fromkeys(keys.values()))
        cache.update({keys[subject]: at for subject, at in db.session.execute(
            sa.select(Notification.subject_key, sa.func.max(Notification.created_at))
            .where(Notification.kind == "digest", Notification.subject_key.in_(keys))
            .group_by(Notification.subject_key))})
    return cache[user.id]


def out_of_view_section(user, now: datetime) -> DigestSection | None:
    """Trajectories that went out of view since the user's previous digest.

    Without an earlier digest: those of the last 7 days. The full list stays on the
    coordinator's "buiten beeld" page until contact is made again.
    """
    locations = _location_ids(user)
    if not locations:
        return None
    since = _last_digest_at(user) or to_utc(local_date(now) - timedelta(days=7))
    trajectories = db.session.scalars(
        sa.select(Trajectory)
        .where(Trajectory.out_of_view_since.is_not(None), Trajectory.out_of_view_since > since,
               Trajectory.is_open, Trajectory.location_id.in_(locations),
               not_restricted(Trajectory.participant_id))
        .options(selectinload(Trajectory.participant))
        .order_by(Trajectory.out_of_view_since, Trajectory.id)
    ).all()
    items = [
        (_("%(name)s: buiten beeld sinds %(day)s", name=t.participant.short_name,
           day=_day(local_date(t.out_of_view_since))), participant_link(t))
        for t in trajectories
    ]
    period = period_text(thresholds().out_of_view_days)
    return DigestSection(_("Nieuw buiten beeld (%(period)s geen contact, of niet bereikt)",
                           period=period), items)


def waiting_section(user, now: datetime) -> DigestSection | None:

    locations = _location_ids(user)
    if not locations:
        return None
    today = local_date(now)
    trajectories = checkins.waiting_too_long(now, scope=locations)
    items = [
        (_("%(name)s: wacht al %(days)s op een aanbod", name=t.participant.short_name,
           days=ngettext("%(num)s dag", "%(num)s dagen", t.waiting_days(today))),
         participant_link(t))
        for t in trajectories
    ]
    period = period_text(thresholds().waiting_too_long_days)
    return DigestSection(_("Wachten te lang (meer dan %(period)s)", period=period), items)


def checkin_concerns_section(user, now: datetime) -> DigestSection | None:
    """Check-ins done since the user's previous digest with the outcome "zorgen" or "dreigt
    te stoppen", next to the concerns volunteers raise after a session.

    Without an earlier digest: those of the last 7 days. The note itself stays in Houvast
    (a mail can end up anywhere); the link leads to the participant page where it is.
    """

    if not has(user, "concerns.view"):
        return None
    since = _last_digest_at(user) or to_utc(local_date(now) - timedelta(days=7))
    items = []
    for checkin in checkins.checkins_with_concerns(since, scope=trajectory_scope(user)):
        values = {"name": checkin.trajectory.participant.short_name,
                  "outcome": label(CHECKIN_OUTCOME, checkin.outcome).lower(),
                  "title": checkin.title, "day": _day(local_date(checkin.done_at))}
        if checkin.done_by is not None:
            text = _("%(name)s: %(outcome)s, zegt %(by)s (%(title)s, %(day)s)",
                     by=checkin.done_by.name, **values)
        else:
            text = _("%(name)s: %(outcome)s (%(title)s, %(day)s)", **values)
        items.append((text, participant_link(checkin.trajectory)))
    return DigestSection(_("Zorgen uit contactmomenten"), items)


def volunteer_checkins_section(user, now: datetime) -> DigestSection | None:
    today = local_date(now)
    items = [(_checkin_text(c, today), checkin_link(c, user)) for c in due_checkins(user, now)]
    return DigestSection(_("Uw contactmomenten"), items)
