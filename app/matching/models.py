"""Offers and enrolments, volunteer matches and the sessions logged on them."""

from datetime import date, datetime, time
from enum import StrEnum, nonmember
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, status_in, utcnow
from app.extensions import db

if TYPE_CHECKING:
    from app.admin.models import Location
    from app.auth.models import User
    from app.intakes.models import LearningGoal
    from app.participants.models import Trajectory
    from app.volunteers.models import Volunteer


class EnrollmentStatus(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"


class MatchStatus(StrEnum):
    PROPOSED = "proposed"
    ACTIVE = "active"
    PAUSED = "paused"
    ENDED = "ended"

    # Matches that take up a place with the volunteer: a proposal reserves the place too.
    LOAD = nonmember((PROPOSED, ACTIVE, PAUSED))
    # Matches a volunteer still works on (and may see the participant of).
    OPEN = nonmember((ACTIVE, PAUSED))
    # A proposal starts; a paused match starts again.
    STARTABLE = nonmember((PROPOSED, PAUSED))


class Offer(db.Model):
    """A group or online offer at one location, e.g. "Klik & Tik dinsdagochtend"."""

    __tablename__ = "offers"
    __table_args__ = (
        sa.Index("ix_offers_location_active", "location_id", "active"),
        sa.CheckConstraint("capacity >= 0", name="capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(sa.ForeignKey("locations.id"))
    # Code of the reference list "offer" (taalcafe, klik_tik, digisterker, ...).
    kind: Mapped[str] = mapped_column(sa.String(60))
    name: Mapped[str] = mapped_column(sa.String(120))
    # "language", "numeracy" or "digital" (choices.OFFER_DOMAIN).
    domain: Mapped[str] = mapped_column(sa.String(20))
    # Formal education (ROC, taalschool) counts differently in the monitor figures.
    formal: Mapped[bool] = mapped_column(default=False)
    capacity: Mapped[int] = mapped_column(default=10)
    schedule: Mapped[str | None] = mapped_column(sa.String(200))
    # The meeting rhythm of a group (app/groups): a weekday (0 = Monday) and a time, from the
    # first to the last date; the meetings themselves are rows of their own (GroupMeeting).
    schedule_weekday: Mapped[int | None]
    schedule_time: Mapped[time | None]
    schedule_starts_on: Mapped[date | None]
    schedule_ends_on: Mapped[date | None]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    location: Mapped["Location"] = relationship()


class Enrollment(db.Model):
    """A trajectory taking part in a group offer."""

    __tablename__ = "enrollments"
    __table_args__ = (
        sa.Index("ix_enrollments_offer_status", "offer_id", "status"),
        sa.Index("ix_enrollments_trajectory_status", "trajectory_id", "status"),
        sa.CheckConstraint("status IN ('active', 'ended')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trajectory_id: Mapped[int] = mapped_column(sa.ForeignKey("trajectories.id"))
    offer_id: Mapped[int] = mapped_column(sa.ForeignKey("offers.id"))
    status: Mapped[str] = mapped_column(sa.String(10), default=EnrollmentStatus.ACTIVE)
    started_on: Mapped[date]
    ended_on: Mapped[date | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    trajectory: Mapped["Trajectory"] = relationship()
    offer: Mapped["Offer"] = relationship()
    created_by: Mapped["User | None"] = relationship()

    @hybrid_property
    def is_active(self) -> bool:
        return self.status == EnrollmentStatus.ACTIVE


class Match(db.Model):
    """A volunteer coupled to a trajectory (koppeling)."""

    __tablename__ = "matches"
    __table_args__ = (
        sa.Index("ix_matches_volunteer_status", "volunteer_id", "status"),
        sa.Index("ix_matches_trajectory_status", "trajectory_id", "status"),
        # The silence scan: active matches by their last session.
        sa.Index("ix_matches_status_last_session", "status", "last_session_on"),
        sa.CheckConstraint("status IN ('proposed', 'active', 'paused', 'ended')",
                           name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trajectory_id: Mapped[int] = mapped_column(sa.ForeignKey("trajectories.id"))
    volunteer_id: Mapped[int] = mapped_column(sa.ForeignKey("volunteers.id"))
    status: Mapped[str] = mapped_column(sa.String(10), default=MatchStatus.PROPOSED)
    proposed_on: Mapped[date]
    started_on: Mapped[date | None]
    planned_end_on: Mapped[date | None]
    # The first meeting, as agreed when the match starts: the participant's confirmation
    # says when and where.
    first_meeting_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_meeting_place: Mapped[str | None] = mapped_column(sa.String(200))
    paused_on: Mapped[date | None]
    ended_on: Mapped[date | None]
    # Code of the reference list "match_end_reason".
    end_reason: Mapped[str | None] = mapped_column(sa.String(60))
    end_note: Mapped[str | None] = mapped_column(sa.Text)
    # Kept up to date by every session, so the silence scan needs no join.
    last_session_on: Mapped[date | None]
    # The newest "ging niet door" the volunteer reported: news from them, so the reminder to
    # the volunteer counts from it; the coordinator's alert still counts from the last session.
    last_not_held_on: Mapped[date | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    trajectory: Mapped["Trajectory"] = relationship()
    volunteer: Mapped["Volunteer"] = relationship()
    created_by: Mapped["User | None"] = relationship()
    sessions: Mapped[list["MatchSession"]] = relationship(
        back_populates="match", order_by="MatchSession.held_on.desc()")

    is_open = status_in(MatchStatus.OPEN)
    takes_place = status_in(MatchStatus.LOAD, "Counts against the volunteer's capacity.")

    @hybrid_property
    def is_active(self) -> bool:
        return self.status == MatchStatus.ACTIVE

    @property
    def is_proposed(self) -> bool:
        return self.status == MatchStatus.PROPOSED

    @property
    def is_paused(self) -> bool:
        return self.status == MatchStatus.PAUSED

    @property
    def can_start(self) -> bool:
        return self.status in MatchStatus.STARTABLE

    @property
    def can_pause(self) -> bool:
        return self.status == MatchStatus.ACTIVE

    @property
    def can_end(self) -> bool:
        return self.status != MatchStatus.ENDED

    def __repr__(self) -> str:
        return f"<Match {self.id} {self.status}>"


class MatchSession(db.Model):
    """A session (bijeenkomst) logged by the volunteer. DESIGN.md calls it `Session`."""

    __tablename__ = "match_sessions"
    __table_args__ = (
        sa.Index("ix_match_sessions_match_held", "match_id", "held_on"),
        # Reports: sessions and hours per month of a period; with the minutes (and whether
        # it took place), so the hours are read from the index alone.
        sa.Index("ix_match_sessions_held_on", "held_on", "minutes", "not_held_reason"),
        # The coordinators' "Zorgen" list and the count in every coordinator's menu: only
        # the concerns nobody has handled yet (a few among hundreds of thousands of
        # sessions), oldest first, with the match for the scope check.
        sa.Index("ix_match_sessions_open_concern", "created_at", "id", "match_id",
                 postgresql_where=sa.text("concern IS true AND concern_handled_at IS NULL"),
                 sqlite_where=sa.text("concern IS 1 AND concern_handled_at IS NULL")),
        sa.CheckConstraint("minutes >= 0", name="minutes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(sa.ForeignKey("matches.id"))
    held_on: Mapped[date]
    minutes: Mapped[int]
    practised: Mapped[str] = mapped_column(sa.Text)
    remark: Mapped[str | None] = mapped_column(sa.Text)
    concern: Mapped[bool] = mapped_column(default=False)
    # Set when the session did not happen (choices.SESSION_NOT_HELD): not a contact and no
    # hours, but news from the volunteer. None: the session took place.
    not_held_reason: Mapped[str | None] = mapped_column(sa.String(30))
    # The one-time key of the "ging niet door" form: a double submit saves nothing twice.
    form_key: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    concern_handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    concern_handled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    match: Mapped["Match"] = relationship(back_populates="sessions")
    created_by: Mapped["User | None"] = relationship(foreign_keys=[created_by_id])
    concern_handled_by: Mapped["User | None"] = relationship(foreign_keys=[concern_handled_by_id])
    goal_marks: Mapped[list["SessionGoal"]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="SessionGoal.goal_id")

    @hybrid_property
    def was_held(self) -> bool:
        return self.not_held_reason is None

    @was_held.inplace.expression
    @classmethod
    def _was_held_expression(cls) -> sa.ColumnElement[bool]:
        return cls.not_held_reason.is_(None)


class SessionGoal(db.Model):
    """A learning goal worked on in a session, with the volunteer's progress mark."""

    __tablename__ = "session_goals"

    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("match_sessions.id", ondelete="CASCADE"), primary_key=True)
    goal_id: Mapped[int] = mapped_column(sa.ForeignKey("learning_goals.id"), primary_key=True,
                                         index=True)
    # choices.SESSION_PROGRESS
    progress: Mapped[str] = mapped_column(sa.String(20))

    session: Mapped["MatchSession"] = relationship(back_populates="goal_marks")
    goal: Mapped["LearningGoal"] = relationship()
