"""What appointments add to the participant page's timeline: planned, moved, not come."""

from collections.abc import Sequence

import sqlalchemy as sa
from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from app.appointments.models import Appointment, AppointmentStatus
from app.auth.models import User
from app.auth.permissions import has
from app.extensions import db
from app.participants.timeline import TimelineItem


def _when(appointment: Appointment) -> str:
    return format_datetime(appointment.starts_at, "EEEE d MMMM yyyy 'om' HH:mm")


def appointment_timeline(trajectories: Sequence, viewer) -> list[TimelineItem]:
    ids = [t.id for t in trajectories]
    if not ids:
        return []
    # Partners see the stage, not who at the desk does what.
    show_detail = has(viewer, "participants.view")
    rows = db.session.scalars(
        sa.select(Appointment).where(Appointment.trajectory_id.in_(ids))
        .options(joinedload(Appointment.location),
                 joinedload(Appointment.with_user).lazyload(User.locations))
        .order_by(Appointment.created_at, Appointment.id)
    ).all()
    # An appointment that replaced a moved one says "verplaatst"; the first says "gepland".
    replaced = {a.moved_to_id: a for a in rows if a.moved_to_id}
    after_no_show = set()
    previous: dict[int, Appointment] = {}
    for a in rows:
        earlier = previous.get(a.trajectory_id)
        if earlier is not None and earlier.status == AppointmentStatus.NO_SHOW:
            after_no_show.add(a.id)
        previous[a.trajectory_id] = a
    items = []
    for a in rows:
        detail = (_("%(place)s, met %(name)s", place=a.place, name=a.with_user.name)
                  if show_detail else None)
        if a.id in replaced:
            title = _("Intake verplaatst naar %(moment)s", moment=_when(a))
        elif a.id in after_no_show:
            title = _("Intake opnieuw gepland op %(moment)s", moment=_when(a))
        else:
            title = _("Intake gepland op %(moment)s", moment=_when(a))
        items.append(TimelineItem(trajectory_id=a.trajectory_id, at=a.created_at,
                                  kind="intake_planned", title=title, detail=detail))
        if a.status == AppointmentStatus.NO_SHOW and a.closed_at:
            items.append(TimelineItem(
                trajectory_id=a.trajectory_id, at=a.closed_at, kind="intake_no_show",
                title=_("Niet gekomen op de intake van %(moment)s", moment=_when(a))))
        elif a.status == AppointmentStatus.CANCELLED and a.closed_at:
            items.append(TimelineItem(
                trajectory_id=a.trajectory_id, at=a.closed_at, kind="intake_cancelled",
                title=_("Intake van %(moment)s gaat niet door", moment=_when(a))))
    return items
