"""Follow-up rules (data, editable by an admin) and the check-ins they plan."""

from datetime import date, datetime
from enum import StrEnum, nonmember
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, utcnow
from app.extensions import db

if TYPE_CHECKING:
    from app.auth.models import User
    from app.participants.models import Trajectory


class CheckInStatus(StrEnum):
    PLANNED = "planned"
    DONE = "done"
    NOT_REACHED = "not_reached"
    CANCELLED = "cancelled"

    # Check-ins that happened (someone tried): the history the volunteer and the page show.
    HAPPENED = nonmember((DONE, NOT_REACHED))


class CheckInOutcome(StrEnum):
    GOING_WELL = "going_well"
    CONCERNS = "concerns"
    MAY_STOP = "may_stop"

    # Outcomes a coordinator should hear about.
    WORRYING = nonmember((CONCERNS, MAY_STOP))


class FollowUpRule(db.Model):
    """When `event` happens to a trajectory, plan a check-in `offset` later for `assignee`."""

    __tablename__ = "followup_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(160))
    # One of app.core.events.EVENTS.
    event: Mapped[str] = mapped_column(sa.String(40), index=True)
    offset: Mapped[int]
    # "days" or "working_days".
    offset_unit: Mapped[str] = mapped_column(sa.String(20), default="days")
    # "owner" (the trajectory's coordinator) or "volunteer" (of the match).
    assignee: Mapped[str] = mapped_column(sa.String(20), default="owner")
    # Days until the next one after a check-in of this rule is done; None: once.
    repeat_every: Mapped[int | None]
    # The check-in kind it plans, e.g. "first_contact", "waiting", "match_2w".
    checkin_kind: Mapped[str] = mapped_column(sa.String(40))
    active: Mapped[bool] = mapped_column(default=True)
    sort_order: Mapped[int] = mapped_column(default=0)


class FollowUpSetting(db.Model):
    """A threshold of the follow-up table that an admin changed (app/core/followup.py)."""

    __tablename__ = "followup_settings"

    key: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    value: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class CheckIn(db.Model):
    """A planned contact moment (contactmoment) and, once done, its outcome."""

    __tablename__ = "checkins"
    __table_args__ = (
        # Due scans and task lists: open check-ins by due date, per assignee.
        sa.Index("ix_checkins_status_due", "status", "due_on"),
        sa.Index("ix_checkins_assignee_status_due", "assignee_id", "status", "due_on"),
        sa.Index("ix_checkins_trajectory_status", "trajectory_id", "status"),
        # The out-of-view scan (recent "not reached") and the digest's recent concerns.
        sa.Index("ix_checkins_status_done", "status", "done_at"),
        # Reports: overdue check-ins per trajectory owner, read from the index alone.
        sa.Index("ix_checkins_planned_due_trajectory", "due_on", "trajectory_id",
                 postgresql_where=sa.text("status = 'planned'"),
                 sqlite_where=sa.text("status = 'planned'")),
        # Task lists: a page of planned check-ins in their order (due date, id), walked
        # from the soonest; the trajectory for the scope check is read from the index.
        sa.Index("ix_checkins_planned_due_id", "due_on", "id", "trajectory_id",
                 postgresql_where=sa.text("status = 'planned'"),
                 sqlite_where=sa.text("status = 'planned'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trajectory_id: Mapped[int] = mapped_column(sa.ForeignKey("trajectories.id"))
    match_id: Mapped[int | None] = mapped_column(sa.ForeignKey("matches.id"), index=True)
    rule_id: Mapped[int | None] = mapped_column(sa.ForeignKey("followup_rules.id"))
    goal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("learning_goals.id"))
    # The group place it is about (the group rules, "komt niet meer naar de groep").
    enrollment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enrollments.id"),
                                                      index=True)
    # The appointment a call task is about ("Bel Fatima: herinner aan de intake morgen"):
    # when that appointment is held, moved or cancelled, the task lapses with it.
    appointment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("appointments.id"),
                                                       index=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    due_on: Mapped[date]
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # planned (gepland), done (gedaan), not_reached (niet bereikt), cancelled (vervallen).
    status: Mapped[str] = mapped_column(sa.String(20), default=CheckInStatus.PLANNED)
    # going_well (gaat goed), concerns (zorgen), may_stop (dreigt te stoppen).
    outcome: Mapped[str | None] = mapped_column(sa.String(20))
    note: Mapped[str | None] = mapped_column(sa.Text)
    # What a check-in planned by hand (kind "manual") is about, in the planner's words.
    topic: Mapped[str | None] = mapped_column(sa.String(200))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # The one-time key of the form that planned it by hand: no duplicate on a double submit.
    form_key: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    trajectory: Mapped["Trajectory"] = relationship()
    rule: Mapped["FollowUpRule | None"] = relationship()
    assignee: Mapped["User | None"] = relationship(foreign_keys=[assignee_id])
    done_by: Mapped["User | None"] = relationship(foreign_keys=[done_by_id])
    created_by: Mapped["User | None"] = relationship(foreign_keys=[created_by_id])

    @property
    def title(self) -> str:
        """The rule's name (what the admin called it), else the label of the kind."""
        from app.core.choices import CHECKIN_KIND, label

        if self.rule is not None:
            return self.rule.name
        return self.topic or label(CHECKIN_KIND, self.kind)

    @hybrid_property
    def is_open(self) -> bool:
        return self.status == CheckInStatus.PLANNED

    @property
    def is_done(self) -> bool:
        return self.status == CheckInStatus.DONE

    @property
    def is_first_contact(self) -> bool:
        """Planned by the referral's rule: done by logging a contact attempt."""
        return self.rule is not None and self.rule.event == "referral_registered"
