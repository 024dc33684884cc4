"""What check-ins add to the participant page: contact moments done and the next one planned."""

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from app.auth.models import User
from app.auth.permissions import has
from app.checkins.models import CheckIn, CheckInStatus
from app.core.choices import CHECKIN_OUTCOME, CHECKIN_STATUS, label
from app.extensions import db
from app.participants.timeline import DueItem, TimelineItem


def _visible_to(viewer) -> sa.ColumnElement[bool]:
    # Staff see every check-in of the trajectories they may open; anyone else only their own.
    if has(viewer, "participants.view"):
        return sa.true()
    return CheckIn.assignee_id == getattr(viewer, "id", None)


def _checkins_of(trajectories, viewer, status: sa.ColumnElement[bool]) -> sa.Select:
    return sa.select(CheckIn).where(CheckIn.trajectory_id.in_([t.id for t in trajectories]),
                                    status, _visible_to(viewer))


def checkin_timeline(trajectories, viewer, limit: int | None = None) -> list[TimelineItem]:
    if not trajectories:
        return []
    # With `limit`: only the newest that many (the participant page shows a bounded part).
    query = _checkins_of(trajectories, viewer, CheckIn.status.in_(CheckInStatus.HAPPENED))
    if limit is not None:
        moment = sa.func.coalesce(CheckIn.done_at, CheckIn.created_at)
        query = query.order_by(moment.desc(), CheckIn.id.desc()).limit(limit)
    rows = db.session.scalars(
        query.options(joinedload(CheckIn.rule),
                      joinedload(CheckIn.done_by).lazyload(User.locations))
    ).all()
    if limit is not None:
        rows.reverse()  # the order they were read in before, for items at the same moment
    items = []
    for c in rows:
        result = (label(CHECKIN_OUTCOME, c.outcome) if c.is_done and c.outcome
                  else label(CHECKIN_STATUS, c.status))
        detail = c.note
        if c.done_by is not None:
            by = _("Door %(name)s", name=c.done_by.name)
            detail = f"{by}. {c.note}" if c.note else by
        items.append(TimelineItem(
            trajectory_id=c.trajectory_id, at=c.done_at or c.created_at, kind="checkin",
            title=_("Contactmoment: %(title)s (%(result)s)", title=c.title, result=result),
            detail=detail,
        ))
    return items


def checkin_due(trajectories, viewer) -> list[DueItem]:
    """The next planned check-in of each trajectory."""
    if not trajectories:
        return []
    rows = db.session.scalars(
        _checkins_of(trajectories, viewer, CheckIn.status == CheckInStatus.PLANNED)
        .options(joinedload(CheckIn.rule), joinedload(CheckIn.assignee).lazyload(User.locations))
        .order_by(CheckIn.due_on, CheckIn.id)
    ).all()
    items, seen = [], set()
    for c in rows:
        if c.trajectory_id in seen:
            continue
        seen.add(c.trajectory_id)
        title = _("Contactmoment: %(title)s", title=c.title)
        if c.assignee is not None:
            title = _("%(title)s (%(name)s)", title=title, name=c.assignee.name)
        items.append(DueItem(trajectory_id=c.trajectory_id, due_on=c.due_on, title=title))
    return items
