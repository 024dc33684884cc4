"""Appointments with a participant: for now the intake; later other kinds fit the same table."""

from datetime import datetime
from enum import StrEnum, nonmember
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, utcnow
from app.extensions import db

if TYPE_CHECKING:
    from app.admin.models import Location
    from app.auth.models import User
    from app.participants.models import Trajectory


class AppointmentKind(StrEnum):
    INTAKE = "intake"


class AppointmentStatus(StrEnum):
    PLANNED = "planned"
    HELD = "held"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    # Replaced by a later appointment (moved_to_id): kept for the history.
    MOVED = "moved"

    # What the agenda shows: what is still ahead or what happened on that day.
    ON_AGENDA = nonmember((PLANNED, HELD, NO_SHOW))


class Appointment(db.Model):
    __tablename__ = "appointments"
    __table_args__ = (
        # The agenda: one location's appointments of a day or week, by time.
        sa.Index("ix_appointments_location_starts", "location_id", "starts_at"),
        # Mijn taken of the one who does it, and of the one who planned it.
        sa.Index("ix_appointments_with_status_starts", "with_user_id", "status", "starts_at"),
        sa.Index("ix_appointments_planner_status_starts", "planned_by_id", "status",
                 "starts_at"),
        # At most one planned appointment of a kind per trajectory, also when two people plan
        # at once; it also serves "has a planned appointment" (the next-step scan).
        sa.Index("uq_appointments_one_planned", "trajectory_id", "kind", unique=True,
                 postgresql_where=sa.text("status = 'planned'"),
                 sqlite_where=sa.text("status = 'planned'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trajectory_id: Mapped[int] = mapped_column(sa.ForeignKey("trajectories.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20), default=AppointmentKind.INTAKE)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Where: a location of the Taalhuis, and a room or spot there in free text.
    location_id: Mapped[int] = mapped_column(sa.ForeignKey("locations.id"))
    room: Mapped[str | None] = mapped_column(sa.String(120))
    # Who holds the conversation: a staff member or coordinator of that location.
    with_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(sa.String(20), default=AppointmentStatus.PLANNED)
    planned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When and by whom the status left "planned" (held, no-show, moved, cancelled).
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # The participant answered the confirmation: "JA" (confirmed_at) or "NEE"
    # (declined_at: the owner is asked to plan again).
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    moved_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("appointments.id"))
    # The one-time key of the planning form: the same form posted twice is one appointment.
    form_key: Mapped[str | None] = mapped_column(sa.String(64), unique=True)

    trajectory: Mapped["Trajectory"] = relationship()
    location: Mapped["Location"] = relationship()
    with_user: Mapped["User"] = relationship(foreign_keys=[with_user_id])
    planned_by: Mapped["User | None"] = relationship(foreign_keys=[planned_by_id])
    closed_by: Mapped["User | None"] = relationship(foreign_keys=[closed_by_id])

    @property
    def is_planned(self) -> bool:
        return self.status == AppointmentStatus.PLANNED

    @property
    def place(self) -> str:
        name = self.location.name if self.location is not None else ""
        return f"{name}, {self.room}" if self.room else name
