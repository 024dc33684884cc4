"""Keeps Trajectory.newest_at_location in step: each person's newest trajectory per location.

The participant list shows, for every person, the newest trajectory the viewer may see, and
filters on it. Aggregating all trajectories for that on every request costs a scan of the
whole table; the flag makes it one indexed probe per person. A viewer sees whole locations
(app.auth.permissions.trajectory_scope), so the newest trajectory a viewer may see is always
the newest at one of the locations they see: a flagged one.

Only a new trajectory, a move to another location, a trajectory given to another person (a
merge of duplicates) or a deleted one changes which trajectory is the newest. The flags of
the people involved are recomputed in SQL right after each flush, in the same transaction,
so no service function can forget it. Bulk loaders call `refresh_newest_at_location`
(through app.core.readmodels.refresh_all).
"""

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, aliased

from app.participants.models import Trajectory

_PENDING = "newest_at_location_people"


def _recompute(conn: Connection, participant_ids: set[int] | None) -> None:
    """Flag the newest trajectory per person and location; only rows that change are
    written, and their updated_at stays (nothing about the trajectory itself changed)."""
    table = Trajectory.__table__
    other = aliased(Trajectory)
    newest = table.c.id == (
        sa.select(sa.func.max(other.id))
        .where(other.participant_id == table.c.participant_id,
               other.location_id == table.c.location_id)
        .scalar_subquery())
    condition = table.c.newest_at_location != newest
    if participant_ids is not None:
        condition = sa.and_(table.c.participant_id.in_(sorted(participant_ids)), condition)
    conn.execute(sa.update(table).where(condition)
                 .values(newest_at_location=newest, updated_at=table.c.updated_at))


def refresh_newest_at_location(conn: Connection) -> None:
    """Bulk recompute for every person (after a bulk load), in two set-based statements."""
    table = Trajectory.__table__
    newest = sa.select(sa.func.max(table.c.id)).group_by(table.c.participant_id,
                                                         table.c.location_id)
    conn.execute(sa.update(table)
                 .where(table.c.newest_at_location.is_(True), table.c.id.not_in(newest))
                 .values(newest_at_location=False, updated_at=table.c.updated_at))
    conn.execute(sa.update(table)
                 .where(table.c.newest_at_location.is_(False), table.c.id.in_(newest))
                 .values(newest_at_location=True, updated_at=table.c.updated_at))


def _changed(trajectory: Trajectory, name: str) -> list:
    history = sa.inspect(trajectory).attrs[name].history
    return [*history.added, *history.deleted] if history.has_changes() else []


@event.listens_for(Session, "after_flush")
def _note_and_recompute(session: Session, _context) -> None:
    people: set[int] = set()
    for record in session.new:
        if isinstance(record, Trajectory):
            people.add(record.participant_id)
    for record in session.dirty:
        if isinstance(record, Trajectory):
            moved = _changed(record, "location_id") or _changed(record, "location")
            persons = _changed(record, "participant_id") + [
                p.id for p in _changed(record, "participant") if p is not None]
            if moved or persons:
                people.add(record.participant_id)
                people.update(p for p in persons if isinstance(p, int))
    for record in session.deleted:
        if isinstance(record, Trajectory):
            people.add(record.participant_id)
    people.discard(None)
    if not people:
        return
    _recompute(session.connection(), people)
    session.info.setdefault(_PENDING, set()).update(people)


@event.listens_for(Session, "after_flush_postexec")
def _expire_loaded(session: Session, _context) -> None:
    # The UPDATE ran behind the ORM's back: loaded trajectories of those people read the
    # flag again when asked.
    people = session.info.pop(_PENDING, None)
    if not people:
        return
    for record in list(session.identity_map.values()):
        if isinstance(record, Trajectory) and record.participant_id in people:
            session.expire(record, ["newest_at_location"])
