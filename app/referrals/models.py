"""Referrals (aanmeldingen) and the attempts to make first contact."""

from datetime import date, datetime
from enum import StrEnum, nonmember
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, utcnow
from app.extensions import db

if TYPE_CHECKING:
    from app.auth.models import User
    from app.participants.models import Trajectory
    from app.partners.models import Partner, PartnerContact


class ReferralResult(StrEnum):
    """What came of the first contact with the person."""

    PENDING = "pending"
    REACHED = "reached"
    NOT_REACHED = "not_reached"
    DECLINED = "declined"
    FORWARDED = "forwarded"

    # The person was spoken to, whatever they answered: the first-contact milestone.
    CONTACT_MADE = nonmember((REACHED, DECLINED, FORWARDED))
    # Reached, but no help here: these end the trajectory (also ContactAttempt.outcome).
    ENDING = nonmember((DECLINED, FORWARDED))


class Referral(db.Model):
    __tablename__ = "referrals"
    __table_args__ = (
        # The work queue and the overdue scan: pending referrals by due date.
        sa.Index("ix_referrals_result_due", "result", "first_contact_due"),
        # The work queue sorts a tab's trajectories on their primary referral's dates: read
        # from this index alone, not from each referral's row (issue 14).
        sa.Index("ix_referrals_primary_queue", "trajectory_id", "first_contact_due",
                 "result_on", postgresql_where=sa.text("is_primary"),
                 sqlite_where=sa.text("is_primary")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trajectory_id: Mapped[int] = mapped_column(sa.ForeignKey("trajectories.id"), index=True)
    # A trajectory has one primary referral (the one that opened it: the work queue, the
    # first-contact deadline, the reports and the referrer signals read it) and may get
    # more: a second referrer for a person who already has an open trajectory here.
    is_primary: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    partner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("partners.id"), index=True)
    partner_contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("partner_contacts.id"))
    # Free-text referrer, for when the person is not (yet) a known contact of the partner.
    referrer_name: Mapped[str | None] = mapped_column(sa.String(120))
    referrer_phone: Mapped[str | None] = mapped_column(sa.String(40))
    referrer_email: Mapped[str | None] = mapped_column(sa.String(254))
    referred_on: Mapped[date]
    question: Mapped[str] = mapped_column(sa.Text)
    channel: Mapped[str] = mapped_column(sa.String(20))
    best_moment: Mapped[str | None] = mapped_column(sa.String(200))
    first_contact_due: Mapped[date]
    result: Mapped[str] = mapped_column(sa.String(20), default=ReferralResult.PENDING)
    result_on: Mapped[date | None]
    # When and by whom the intake was planned; the moment itself is Trajectory.intake_planned_at.
    intake_scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    intake_scheduled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The one-time key of the staff form this referral came from: the same form posted twice
    # (a double click) finds it, also when both posts arrive at once (unique).
    form_key: Mapped[str | None] = mapped_column(sa.String(64), unique=True)

    trajectory: Mapped["Trajectory"] = relationship(back_populates="referrals")
    partner: Mapped["Partner | None"] = relationship()
    partner_contact: Mapped["PartnerContact | None"] = relationship()
    created_by: Mapped["User | None"] = relationship(foreign_keys=[created_by_id])
    intake_scheduled_by: Mapped["User | None"] = relationship(foreign_keys=[intake_scheduled_by_id])

    @property
    def referrer_label(self) -> str | None:
        """The partner and, when known, the contact person: who referred."""
        contact = self.partner_contact.name if self.partner_contact is not None else None
        person = contact or self.referrer_name
        partner = self.partner.name if self.partner is not None else None
        return " – ".join(part for part in (partner, person) if part) or None

    @property
    def first_contact_made(self) -> bool:
        return self.result in ReferralResult.CONTACT_MADE

    @property
    def is_pending(self) -> bool:
        return self.result == ReferralResult.PENDING


class ContactAttempt(db.Model):
    """A try to reach the person: in the first-contact step (`first_contact`) or later, on any
    open trajectory ("Contact vastleggen"). Reached counts as last contact."""

    __tablename__ = "contact_attempts"
    __table_args__ = (
        # The out-of-view scan: recent attempts after the first contact that did not reach.
        sa.Index("ix_contact_attempts_reached_at", "reached", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trajectory_id: Mapped[int] = mapped_column(sa.ForeignKey("trajectories.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reached: Mapped[bool]
    channel: Mapped[str] = mapped_column(sa.String(20))
    note: Mapped[str | None] = mapped_column(sa.Text)
    # Only for reached attempts that ended the trajectory: one of ReferralResult.ENDING.
    outcome: Mapped[str | None] = mapped_column(sa.String(20))
    # False for contacts logged after the first-contact step: those do not count towards
    # the referral's attempts, but a "not reached" counts for "not reached in a row".
    first_contact: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # The one-time key of the form that saved it: a double submit saves nothing twice.
    form_key: Mapped[str | None] = mapped_column(sa.String(64), unique=True)

    trajectory: Mapped["Trajectory"] = relationship(back_populates="contact_attempts")
    by: Mapped["User | None"] = relationship()
