"""The intake conversation and the learning goals that come out of it."""

from datetime import date, datetime
from enum import StrEnum, nonmember
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, status_in, utcnow
from app.extensions import db

if TYPE_CHECKING:
    from app.auth.models import User
    from app.participants.models import Trajectory


class GoalStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    ACHIEVED = "achieved"
    PARTLY_ACHIEVED = "partly_achieved"
    STOPPED = "stopped"

    # Goals still being worked on: offered in a session, evaluated when the trajectory ends.
    WORKABLE = nonmember((OPEN, IN_PROGRESS))


class Intake(db.Model):
    __tablename__ = "intakes"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Optimistic locking: every UPDATE checks and raises it, so a save over changes that
    # someone else made after the form was opened is refused (app/core/records.py).
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}
    trajectory_id: Mapped[int] = mapped_column(sa.ForeignKey("trajectories.id"), unique=True)
    held_on: Mapped[date]
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # Which scale the levels below are on: "nt2" uses CEFR, "nt1" uses instroom/1F/2F/3F.
    scale: Mapped[str] = mapped_column(sa.String(10))
    level_speaking: Mapped[str] = mapped_column(sa.String(10), default="unknown")
    level_listening: Mapped[str] = mapped_column(sa.String(10), default="unknown")
    level_reading: Mapped[str] = mapped_column(sa.String(10), default="unknown")
    level_writing: Mapped[str] = mapped_column(sa.String(10), default="unknown")
    knows_latin_alphabet: Mapped[bool | None]
    digital_level: Mapped[str] = mapped_column(sa.String(20), default="unknown")
    numeracy_level: Mapped[str] = mapped_column(sa.String(10), default="unknown")
    screening_tool: Mapped[str | None] = mapped_column(sa.String(20))
    screening_result: Mapped[str | None] = mapped_column(sa.String(200))
    # Slots like "mon-morning" (weekday x part of day), the same grid volunteers use.
    availability: Mapped[list] = mapped_column(sa.JSON, default=list)
    volunteer_preferences: Mapped[str | None] = mapped_column(sa.Text)
    motivation: Mapped[str | None] = mapped_column(sa.Text)
    advised_offer: Mapped[str | None] = mapped_column(sa.String(60))
    wished_offer: Mapped[str | None] = mapped_column(sa.String(60))
    offer_difference_reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    trajectory: Mapped["Trajectory"] = relationship(back_populates="intake")
    by: Mapped["User | None"] = relationship()


class LearningGoal(db.Model):
    __tablename__ = "learning_goals"

    id: Mapped[int] = mapped_column(primary_key=True)
    trajectory_id: Mapped[int] = mapped_column(sa.ForeignKey("trajectories.id"), index=True)
    subject: Mapped[str] = mapped_column(sa.String(60))
    context: Mapped[str] = mapped_column(sa.String(60))
    own_words: Mapped[str] = mapped_column(sa.Text)
    target_date: Mapped[date | None] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(sa.String(20), default=GoalStatus.OPEN)
    # Shown on the participant's timeline ("Leerdoel behaald").
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    trajectory: Mapped["Trajectory"] = relationship(back_populates="goals")

    is_workable = status_in(GoalStatus.WORKABLE)

    @property
    def is_achieved(self) -> bool:
        return self.status == GoalStatus.ACHIEVED
