""""Zonder volgende stap": open trajectories with nothing planned ahead.

DESIGN.md: every open trajectory has a next step ahead (a check-in, an appointment, a session
or a group meeting); those without are listed. The condition lives in `has_next_step()`
alone, so the list, the digest section and anything else read the same rule, and a feature
that adds a kind of next step (group meetings ahead, appointments ahead) adds one clause
there.

Every clause is an EXISTS on an indexed (trajectory_id, status) pair or a column of the
trajectory itself, so the scan costs one index probe per clause and trajectory, and the list
a fixed number of queries whatever the data size.
"""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from app.appointments.service import has_planned_appointment
from app.auth.models import User
from app.auth.permissions import next_step_locations, not_restricted
from app.checkins.models import CheckIn, CheckInStatus
from app.core.choices import TRAJECTORY_STATUS, label
from app.core.timeutil import local_date
from app.extensions import db
from app.groups.service import has_meeting_ahead
from app.matching.models import Match, MatchStatus
from app.notifications.links import participant_link
from app.notifications.service import DigestSection, absolute_url
from app.participants.models import Trajectory, TrajectoryStatus


def next_steps(now: datetime, trajectory=Trajectory) -> list[sa.ColumnElement[bool]]:
    """The kinds of next step, each a SQL condition on `trajectory` (the class or an alias).
    THE place to add one (a group meeting ahead, an appointment ahead):

    - a planned check-in (also one that is late: it is on someone's task list);
    - a first contact still to make (status "aangemeld"): the referral queue has its due
      date, and the digest names it when late. Reached but no intake planned yet
      ("contact gehad") has no date and is listed;
    - a planned appointment (intake): ahead, or passed without an outcome, which is then a
      task for the one who planned it;
    - an active match: the volunteer and the person meet, and the silence reminders watch it;
    - a group place with a meeting of that group ahead.
    """
    return [
        sa.exists().where(CheckIn.trajectory_id == trajectory.id,
                          CheckIn.status == CheckInStatus.PLANNED),
        trajectory.status == TrajectoryStatus.REFERRED,
        has_planned_appointment(trajectory),
        sa.exists().where(Match.trajectory_id == trajectory.id,
                          Match.status == MatchStatus.ACTIVE),
        # A group place counts only while its group has a meeting ahead: a place in a group
        # whose schedule ended, or that never got one, is listed.
        has_meeting_ahead(local_date(now), trajectory),
    ]


def has_next_step(now: datetime, trajectory=Trajectory) -> sa.ColumnElement[bool]:
    """SQL condition on `trajectory`: something is planned ahead (any of `next_steps`)."""
    return sa.or_(*next_steps(now, trajectory))


def lacks_next_step(now: datetime, trajectory=Trajectory) -> sa.ColumnElement[bool]:
    """The negation of `has_next_step`, written as NOT EXISTS ... AND NOT ...: PostgreSQL
    turns each NOT EXISTS into an anti-join (one pass over an index), where NOT (a OR b)
    would test every trajectory against every clause in turn."""
    return sa.and_(*(~step for step in next_steps(now, trajectory)))


def without_next_step_query(now: datetime, location_ids=None) -> sa.Select:
    """Open trajectories without a next step, the longest without contact first.

    `location_ids`: None for every location (admins), else only those.
    """
    query = sa.select(Trajectory).where(Trajectory.is_open, lacks_next_step(now),
                                        not_restricted(Trajectory.participant_id))
    if location_ids is not None:
        query = query.where(Trajectory.location_id.in_(list(location_ids) or [-1]))
    return (query.options(joinedload(Trajectory.participant), joinedload(Trajectory.location),
                          joinedload(Trajectory.owner).lazyload(User.locations))
            .order_by(Trajectory.last_contact_at.asc().nulls_first(), Trajectory.id))


def last_steps(trajectories) -> dict[int, CheckIn]:
    """Per trajectory, its most recent check-in that was done, not reached or lapsed: the
    list says what happened last, so an entry explains itself. One query."""
    ids = [t.id for t in trajectories]
    if not ids:
        return {}
    newest = (sa.select(sa.func.max(CheckIn.id))
              .where(CheckIn.trajectory_id.in_(ids), CheckIn.status != CheckInStatus.PLANNED)
              .group_by(CheckIn.trajectory_id))
    rows = db.session.scalars(sa.select(CheckIn).where(CheckIn.id.in_(newest))
                              .options(joinedload(CheckIn.rule)))
    return {c.trajectory_id: c for c in rows}


# The digest names at most this many; the rest is one line with a link to the full list.
DIGEST_LIMIT = 20


def without_next_step_section(user, now: datetime):
    """"Zonder volgende stap" in the coordinator's daily digest: the same query as the list
    (its first rows) and its count. Two queries, whatever the size."""
    locations = next_step_locations(user)
    if locations is not None and not locations:
        return None
    query = without_next_step_query(now, locations)
    trajectories = db.session.scalars(query.limit(DIGEST_LIMIT)).unique().all()
    items = [(_("%(name)s: niets gepland (%(status)s)", name=t.participant.short_name,
                status=_status(t)), participant_link(t))
             for t in trajectories]
    total = db.session.scalar(sa.select(sa.func.count()).select_from(
        query.order_by(None).subquery()))
    if total > DIGEST_LIMIT:
        items.append((_("En nog %(n)s meer", n=total - DIGEST_LIMIT),
                      absolute_url("checkins.without_next_step")))
    return DigestSection(_("Zonder volgende stap"), items)


def _status(trajectory) -> str:
    return str(label(TRAJECTORY_STATUS, trajectory.status)).lower()
