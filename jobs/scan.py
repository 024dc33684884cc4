"""The hourly scan: update the "buiten beeld" flags and raise the alerts that go with them."""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from app.auth.models import User
from app.auth.permissions import (
    coordinators_by_location,
    responsible_users,
    unowned_locations,
)
from app.checkins import service as checkins
from app.core.followup import period_text, thresholds
from app.core.timeutil import local_date
from app.extensions import db
from app.notifications.links import participant_link
from app.notifications.models import Notification
from app.notifications.service import Message, notify_many, sweep_lock
from app.participants.models import Trajectory


def out_of_view_scan(now: datetime) -> list[Notification]:

    with sweep_lock("out_of_view_scan") as acquired:
        if not acquired:
            return []
        flagged = checkins.scan_out_of_view(now)
        _load_owners(flagged)
        # Only trajectories not alerted for this wait yet: the hourly run stays small
        # however many people are on the waiting list.
        waiting = list(db.session.scalars(
            checkins.waiting_too_long_query(now)
            .where(_not_alerted("waiting_too_long", sa.cast(Trajectory.waiting_since, sa.String)))
        ).unique())
        messages = _out_of_view_messages(flagged) + _waiting_messages(waiting, now)
        claimed = notify_many(messages, now)
        db.session.commit()
        return claimed


def _not_alerted(kind: str, period: sa.ColumnElement) -> sa.ColumnElement[bool]:
    """No `kind` alert in the ledger yet for this trajectory and period."""
    return ~sa.exists().where(
        Notification.kind == kind,
        Notification.subject_key == sa.literal("trajectory:") + sa.cast(Trajectory.id, sa.String),
        Notification.period_key == period,
    )


def _load_owners(trajectories) -> None:
    """Owners in one query; `trajectory.owner` then comes from the session, not the database."""
    owner_ids = {t.owner_id for t in trajectories if t.owner_id is not None}
    if owner_ids:
        db.session.scalars(sa.select(User).where(User.id.in_(owner_ids))).all()


def _out_of_view_messages(flagged) -> list[Message]:
    limits = thresholds()
    period = period_text(limits.out_of_view_days)
    coordinators = coordinators_by_location(unowned_locations(flagged))
    messages = []
    for trajectory in flagged:
        if trajectory.out_of_view_since is None:
            continue
        name = trajectory.participant.short_name
        since = local_date(trajectory.out_of_view_since)
        for user in responsible_users(trajectory, coordinators):
            messages.append(Message(
                kind="out_of_view", subject_key=f"trajectory:{trajectory.id}", recipient=user,
                # One alert per time a trajectory goes out of view.
                period_key=since.isoformat(),
                subject=_("Buiten beeld: %(name)s", name=name),
                body=_("%(name)s is buiten beeld: al %(period)s geen contact, of %(times)s "
                       "keer achter elkaar niet bereikt. Neem contact op, of vraag een "
                       "collega dat te doen.", name=name, period=period,
                       times=limits.not_reached_in_a_row),
                link=participant_link(trajectory), allow_email=False,
            ))
    return messages


def _waiting_messages(waiting, now: datetime) -> list[Message]:
    coordinators = coordinators_by_location(unowned_locations(waiting))
    today = local_date(now)
    messages = []
    for trajectory in waiting:
        if trajectory.waiting_since is None:
            continue
        name = trajectory.participant.short_name
        # The total, from the first day of waiting; one alert per wait (a new wait after a
        # match or group ended may alert again).
        days = ngettext("%(num)s dag", "%(num)s dagen", trajectory.waiting_days(today))
        for user in responsible_users(trajectory, coordinators):
            messages.append(Message(
                kind="waiting_too_long", subject_key=f"trajectory:{trajectory.id}",
                recipient=user,
                # One alert per waiting episode: a new wait starts a new period.
                period_key=trajectory.waiting_since.isoformat(),
                subject=_("%(name)s wacht al %(days)s", name=name, days=days),
                body=_("%(name)s wacht al %(days)s op een aanbod. Zorg dat mensen "
                       "niet lang hoeven te wachten: zoek een taalmaatje of een groep.",
                       name=name, days=days),
                link=participant_link(trajectory), allow_email=False,
            ))
    return messages
