"""Group meetings (bijeenkomsten van een groep), who runs a group, and attendance."""

from datetime import date, datetime, time
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, utcnow
from app.extensions import db

if TYPE_CHECKING:
    from app.matching.models import Enrollment, Offer


class AttendanceStatus(StrEnum):
    PRESENT = "present"
    # Absent, and said so beforehand (afgemeld): not a warning sign.
    EXCUSED = "excused"
    # Absent without notice: N of these in a row plan a check-in for the owner.
    ABSENT = "absent"


# Volunteers who run (help with) a group: they may keep its attendance register.
offer_volunteers = sa.Table(
    "offer_volunteers",
    db.Model.metadata,
    sa.Column("offer_id", sa.ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True),
    # "Which groups does this volunteer run": the other way round.
    sa.Column("volunteer_id", sa.ForeignKey("volunteers.id", ondelete="CASCADE"),
              primary_key=True, index=True),
)


class GroupMeeting(db.Model):
    """One meeting of a group offer on one day: from its schedule, or an extra date; a
    cancelled one keeps its row (afgelast) so the schedule does not bring it back."""

    __tablename__ = "group_meetings"
    __table_args__ = (
        # One meeting a day per group; also serves "the next meeting of these offers".
        sa.UniqueConstraint("offer_id", "held_on", name="offer_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(sa.ForeignKey("offers.id", ondelete="CASCADE"))
    held_on: Mapped[date]
    starts_at: Mapped[time | None]
    # Added by hand, not by the schedule: a new schedule leaves it alone.
    extra: Mapped[bool] = mapped_column(default=False)
    cancelled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    offer: Mapped["Offer"] = relationship()

    def __repr__(self) -> str:
        return f"<GroupMeeting {self.offer_id} {self.held_on}>"


class Attendance(db.Model):
    """Whether one enrolled participant was at one meeting."""

    __tablename__ = "group_attendance"
    __table_args__ = (
        # Two taps at once update one row (an upsert on this key), never add a second.
        sa.UniqueConstraint("meeting_id", "enrollment_id", name="meeting_enrollment"),
        sa.Index("ix_group_attendance_enrollment", "enrollment_id"),
        sa.CheckConstraint("status IN ('present', 'excused', 'absent')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("group_meetings.id", ondelete="CASCADE"))
    enrollment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrollments.id"))
    status: Mapped[str] = mapped_column(sa.String(10))
    # The "komt niet meer" check-in this absence completed a streak for: one per streak.
    checkin_id: Mapped[int | None] = mapped_column(sa.ForeignKey("checkins.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    meeting: Mapped["GroupMeeting"] = relationship()
    enrollment: Mapped["Enrollment"] = relationship()
