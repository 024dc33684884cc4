"""The participant (the person) and their trajectories (episodes of help) and consents."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, utcnow
from app.extensions import db


class Participant(db.Model):
    """The person. Minimal data on purpose: no BSN, no full birth date, no nationality."""

    __tablename__ = "participants"
    __table_args__ = (
        sa.Index("ix_participants_name", "last_name", "first_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(sa.String(80))
    last_name: Mapped[str] = mapped_column(sa.String(120), default="")
    # E.164 (app.core.phone.clean_phone); rows from before that rule may hold free text.
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    # The duplicate-match key: E.164 of a valid number, else NULL, so an old free-text phone
    # never matches anyone by accident.
    phone_normalised: Mapped[str | None] = mapped_column(sa.String(40), index=True)
    email: Mapped[str | None] = mapped_column(sa.String(254))
    preferred_channel: Mapped[str] = mapped_column(sa.String(20), default="phone")
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
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    trajectories = relationship("Trajectory", back_populates="participant",
                                order_by="Trajectory.id.desc()")
    consents = relationship("Consent", back_populates="participant",
                            order_by="Consent.recorded_at")

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
        # Who waits longest: the waiting list, its alerts and the dashboard's top ten.
        sa.Index("ix_trajectories_status_waiting_since", "status", "waiting_since"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(sa.ForeignKey("participants.id"), index=True)
    location_id: Mapped[int] = mapped_column(sa.ForeignKey("locations.id"))
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(20), default="referred")
    referred_on: Mapped[date]
    intake_planned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    waiting_since: Mapped[date | None]
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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    participant = relationship("Participant", back_populates="trajectories")
    location = relationship("Location")
    owner = relationship("User")
    referral = relationship("Referral", back_populates="trajectory", uselist=False)
    intake = relationship("Intake", back_populates="trajectory", uselist=False)
    goals = relationship("LearningGoal", back_populates="trajectory",
                         order_by="LearningGoal.id")
    contact_attempts = relationship("ContactAttempt", back_populates="trajectory",
                                    order_by="ContactAttempt.at")

    @property
    def is_open(self) -> bool:
        return self.status != "ended"

    def __repr__(self) -> str:
        return f"<Trajectory {self.id} {self.status}>"


class Consent(db.Model):
    """One recorded consent decision; the newest row per kind is the one in force."""

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

    participant = relationship("Participant", back_populates="consents")
    recorded_by = relationship("User")
