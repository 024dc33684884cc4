"""The participant (the person) and their trajectories (episodes of help) and consents."""

from datetime import date, datetime
from enum import StrEnum, nonmember
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, utcnow
from app.extensions import db

if TYPE_CHECKING:
    from app.admin.models import Location
    from app.auth.models import User
    from app.intakes.models import Intake, LearningGoal
    from app.referrals.models import ContactAttempt, Referral


class TrajectoryStatus(StrEnum):
    """The stage of a trajectory; the values are what the database stores."""

    REFERRED = "referred"
    CONTACTED = "contacted"
    INTAKE_PLANNED = "intake_planned"
    UNREACHABLE = "unreachable"
    WAITING = "waiting"
    ACTIVE = "active"
    ENDED = "ended"

    OPEN = nonmember((REFERRED, CONTACTED, INTAKE_PLANNED, UNREACHABLE, WAITING, ACTIVE))
    # Before the intake: contact attempts may be logged and an intake planned.
    BEFORE_INTAKE = nonmember((REFERRED, CONTACTED, INTAKE_PLANNED, UNREACHABLE))
    # Nobody has reached the person yet: the next contact is the first one.
    NOT_YET_REACHED = nonmember((REFERRED, UNREACHABLE))
    # After the intake a person may get a volunteer and a group place, also while they have
    # one already (DESIGN.md: "active (match and/or group offer)").
    MAY_GET_OFFER = nonmember((WAITING, ACTIVE))


class Participant(db.Model):
    """The person. Minimal data on purpose: no BSN, no full birth date, no nationality."""

    __tablename__ = "participants"
    __table_args__ = (
        sa.Index("ix_participants_name", "last_name", "first_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Optimistic locking: every UPDATE checks and raises it, so a save over changes that
    # someone else made after the form was opened is refused (app/core/records.py).
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}
    first_name: Mapped[str] = mapped_column(sa.String(80))
    last_name: Mapped[str] = mapped_column(sa.String(120), default="")
    # E.164 (app.core.phone.clean_phone); rows from before that rule may hold free text.
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    # The duplicate-match key: E.164 of a valid number, else NULL, so an old free-text phone
    # never matches anyone by accident.
    phone_normalised: Mapped[str | None] = mapped_column(sa.String(40), index=True)
    email: Mapped[str | None] = mapped_column(sa.String(254))
    preferred_channel: Mapped[str] = mapped_column(sa.String(20), default="phone")
    # The language of the translation added to a message (choices.MESSAGE_LANGUAGE); the
    # Dutch text is always sent. None: Dutch only.
    message_language: Mapped[str | None] = mapped_column(sa.String(10))
    # Indexed for the duplicate check on registering (same name and phone or birth year).
    birth_year: Mapped[int | None] = mapped_column(index=True)
    language_background: Mapped[str] = mapped_column(sa.String(10), default="unknown")
    native_language: Mapped[str | None] = mapped_column(sa.String(80))
    other_languages: Mapped[str | None] = mapped_column(sa.String(200))
    sex: Mapped[str | None] = mapped_column(sa.String(10))
    postcode4: Mapped[str | None] = mapped_column(sa.String(4))
    found_via: Mapped[str | None] = mapped_column(sa.String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Set by app/privacy/anonymise.py (retention or erasure): names, contact data and free
    # texts are gone; what the reports count stays. Indexed: every list leaves out the
    # (few) anonymised people (app.auth.permissions.restricted_ids) and without an index
    # finding those few reads the whole table on each request.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # The processing consent ("gegevens vastleggen") was withdrawn: AVG art. 18 restriction.
    # The person leaves every list, task list, digest, export and proposal
    # (app.auth.permissions.not_restricted) until consent is recorded again or they are
    # erased. Indexed: the lists leave out the (few) restricted people by it.
    restricted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    restricted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    restricted_by: Mapped["User | None"] = relationship(foreign_keys=[restricted_by_id])
    trajectories: Mapped[list["Trajectory"]] = relationship(
        back_populates="participant", order_by="Trajectory.id.desc()")
    consents: Mapped[list["Consent"]] = relationship(
        back_populates="participant", order_by="Consent.recorded_at")

    @property
    def is_restricted(self) -> bool:
        return self.restricted_at is not None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def short_name(self) -> str:
        """First name and initial: the most a message to a partner may carry."""
        initial = f" {self.last_name[0]}." if self.last_name else ""
        return f"{self.first_name}{initial}"

    def __repr__(self) -> str:
        return f"<Participant {self.id}>"


# The participant list sorts on the lowered names (app/participants/service.py): an index on
# exactly that key lets the database read a page in order instead of sorting everyone.
sa.Index("ix_participants_lower_name", sa.func.lower(Participant.last_name),
         sa.func.lower(Participant.first_name), Participant.id)
# Searching the list finds a part of a name or of a phone number anywhere in it ("amr"
# finds El Amrani). On PostgreSQL trigram indexes (pg_trgm, migration 0020) find those
# rows without reading every person; SQLite reads them all, which at its scale is fine.
sa.Index("ix_participants_first_name_trgm", sa.func.lower(Participant.first_name).label("f"),
         postgresql_using="gin", postgresql_ops={"f": "gin_trgm_ops"})
sa.Index("ix_participants_last_name_trgm", sa.func.lower(Participant.last_name).label("l"),
         postgresql_using="gin", postgresql_ops={"l": "gin_trgm_ops"})
sa.Index("ix_participants_phone_trgm", Participant.phone_normalised,
         postgresql_using="gin", postgresql_ops={"phone_normalised": "gin_trgm_ops"})


class Trajectory(db.Model):
    """One episode of help: the case. A person who returns later gets a new one."""

    __tablename__ = "trajectories"
    __table_args__ = (
        # The out-of-view scan walks open trajectories by their last contact.
        sa.Index("ix_trajectories_status_last_contact", "status", "last_contact_at"),
        sa.Index("ix_trajectories_location_status", "location_id", "status"),
        # Reports: the cohort of a period (referral date) and what ended in a period.
        sa.Index("ix_trajectories_referred_on", "referred_on"),
        sa.Index("ix_trajectories_ended_on", "ended_on"),
        # Who waits longest: the waiting list, its alerts and the dashboard's top ten (all
        # counted from the first day of waiting).
        sa.Index("ix_trajectories_status_first_waiting_since", "status",
                 "first_waiting_since"),
        # The participant list joins each person's newest trajectory the viewer may see
        # through these (the flag `newest_at_location`), instead of aggregating every
        # trajectory on each request: one probe per person, and the filters of the list
        # (location, status, owner) find the newest trajectories directly.
        sa.Index("ix_trajectories_newest_participant", "participant_id", "id",
                 postgresql_where=sa.text("newest_at_location"),
                 sqlite_where=sa.text("newest_at_location")),
        sa.Index("ix_trajectories_newest_location_status", "location_id", "status",
                 postgresql_where=sa.text("newest_at_location"),
                 sqlite_where=sa.text("newest_at_location")),
        sa.Index("ix_trajectories_newest_status", "status",
                 postgresql_where=sa.text("newest_at_location"),
                 sqlite_where=sa.text("newest_at_location")),
        sa.Index("ix_trajectories_newest_owner", "owner_id",
                 postgresql_where=sa.text("newest_at_location"),
                 sqlite_where=sa.text("newest_at_location")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(sa.ForeignKey("participants.id"), index=True)
    location_id: Mapped[int] = mapped_column(sa.ForeignKey("locations.id"))
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(20), default=TrajectoryStatus.REFERRED)
    referred_on: Mapped[date]
    intake_planned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The day the current wait began (the waiting check-ins count from it); None when not
    # waiting.
    waiting_since: Mapped[date | None]
    # The day this trajectory first began waiting for an offer. Kept when a match or group
    # ends and the person waits again: the waiting time, its alert and "langst wachtend"
    # count from here.
    first_waiting_since: Mapped[date | None]
    started_on: Mapped[date | None]
    ended_on: Mapped[date | None]
    outcome: Mapped[str | None] = mapped_column(sa.String(60))
    end_reason: Mapped[str | None] = mapped_column(sa.String(60))
    # Every contact that happened moves this forward; it alone drives "buiten beeld".
    last_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    out_of_view_since: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Copies of the referral's partner, its first-contact date and the intake date, kept in
    # step by app/participants/milestones.py: the reports read a year of trajectories at
    # once, and one table is several times faster than joining referrals and intakes.
    partner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("partners.id"))
    first_contact_on: Mapped[date | None]
    intake_on: Mapped[date | None]
    # Retention (app/privacy/anonymise.py) removed this trajectory's free texts and contact
    # people; its dates, statuses and outcome stay for the reports.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Read model, kept in step by app/participants/current.py: this is the person's newest
    # trajectory (highest id) at its location. A viewer sees whole locations, so the newest
    # trajectory a viewer may see is always one of these; per location and not "newest
    # overall", because a person's newest trajectory may be at a location the viewer does
    # not see, and then an older one at the viewer's location is the one the list shows.
    newest_at_location: Mapped[bool] = mapped_column(default=False,
                                                     server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    participant: Mapped["Participant"] = relationship(back_populates="trajectories")
    location: Mapped["Location"] = relationship()
    owner: Mapped["User | None"] = relationship()
    # The primary referral (see Referral.is_primary); `referrals` is all of them, first first.
    referral: Mapped["Referral | None"] = relationship(
        primaryjoin="and_(Referral.trajectory_id == Trajectory.id, Referral.is_primary)",
        viewonly=True, uselist=False)
    referrals: Mapped[list["Referral"]] = relationship(
        back_populates="trajectory", order_by="Referral.id")
    intake: Mapped["Intake | None"] = relationship(back_populates="trajectory")
    goals: Mapped[list["LearningGoal"]] = relationship(
        back_populates="trajectory", order_by="LearningGoal.id")
    contact_attempts: Mapped[list["ContactAttempt"]] = relationship(
        back_populates="trajectory", order_by="ContactAttempt.at")

    @hybrid_property
    def is_open(self) -> bool:
        return self.status != TrajectoryStatus.ENDED

    @is_open.inplace.expression
    @classmethod
    def _is_open_expression(cls) -> sa.ColumnElement[bool]:
        # IN over the open statuses, not "!= ended", so the status indexes serve it.
        return cls.status.in_(TrajectoryStatus.OPEN)

    @property
    def before_intake(self) -> bool:
        return self.status in TrajectoryStatus.BEFORE_INTAKE

    @property
    def not_yet_reached(self) -> bool:
        return self.status in TrajectoryStatus.NOT_YET_REACHED

    @property
    def can_get_volunteer(self) -> bool:
        return self.status in TrajectoryStatus.MAY_GET_OFFER

    @property
    def can_enroll(self) -> bool:
        return self.status in TrajectoryStatus.MAY_GET_OFFER

    @property
    def is_waiting(self) -> bool:
        return self.status == TrajectoryStatus.WAITING

    @property
    def waited_from(self) -> date | None:
        """The first day of waiting (older rows: the current wait)."""
        return self.first_waiting_since or self.waiting_since

    def waiting_days(self, today: date) -> int | None:
        """Days waited in total, counted from the first day of waiting."""
        start = self.waited_from
        return (today - start).days if start is not None else None

    @property
    def is_active(self) -> bool:
        return self.status == TrajectoryStatus.ACTIVE

    @property
    def is_ended(self) -> bool:
        return self.status == TrajectoryStatus.ENDED

    def __repr__(self) -> str:
        return f"<Trajectory {self.id} {self.status}>"


class TrajectoryMove(db.Model):
    """A trajectory moved to another location (the person moved, or prefers another desk)."""

    __tablename__ = "trajectory_moves"

    id: Mapped[int] = mapped_column(primary_key=True)
    trajectory_id: Mapped[int] = mapped_column(sa.ForeignKey("trajectories.id"), index=True)
    from_location_id: Mapped[int] = mapped_column(sa.ForeignKey("locations.id"))
    to_location_id: Mapped[int] = mapped_column(sa.ForeignKey("locations.id"))
    reason: Mapped[str] = mapped_column(sa.Text)
    moved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    moved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    from_location: Mapped["Location"] = relationship(foreign_keys=[from_location_id])
    to_location: Mapped["Location"] = relationship(foreign_keys=[to_location_id])
    moved_by: Mapped["User | None"] = relationship()


class Consent(db.Model):
    """One recorded consent decision; the newest row per kind is the one in force.

    "share_with_referrer" belongs to one referral (one referrer and its contact person):
    its newest row *for that referral* is in force, and a row without a referral (recorded
    before consent was kept per referral, and not traceable to one) counts for none.
    """

    __tablename__ = "consents"
    __table_args__ = (sa.Index("ix_consents_participant_kind", "participant_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(sa.ForeignKey("participants.id"))
    kind: Mapped[str] = mapped_column(sa.String(30))
    given: Mapped[bool]
    method: Mapped[str] = mapped_column(sa.String(20))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(sa.String(300))
    # Only for kind "share_with_referrer": the referral whose referrer may hear how it goes.
    referral_id: Mapped[int | None] = mapped_column(sa.ForeignKey("referrals.id"), index=True)

    participant: Mapped["Participant"] = relationship(back_populates="consents")
    recorded_by: Mapped["User | None"] = relationship()
    referral: Mapped["Referral | None"] = relationship()


# The few people nobody works with (permissions.restricted_ids: restricted OR anonymised).
# Every scoped list, count and menu asks for them; without an index on the OR, each of those
# read all participants. A partial index on the same condition holds only those few.
sa.Index("ix_participants_out_of_work", Participant.id,
         postgresql_where=sa.text("restricted_at IS NOT NULL OR anonymised_at IS NOT NULL"),
         sqlite_where=sa.text("restricted_at IS NOT NULL OR anonymised_at IS NOT NULL"))
