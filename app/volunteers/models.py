"""Volunteers (taalmaatjes, taalcoaches): who they are, where and when they can help."""

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, utcnow
from app.extensions import db

if TYPE_CHECKING:
    from app.admin.models import Location
    from app.auth.models import User


class VolunteerStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    STOPPED = "stopped"


class VogState(StrEnum):
    """Whether a volunteer's VOG (certificate of conduct) still counts for matching."""

    MISSING = "missing"
    EXPIRED = "expired"
    OK = "ok"

    @property
    def is_missing(self) -> bool:
        return self is VogState.MISSING

    @property
    def is_expired(self) -> bool:
        return self is VogState.EXPIRED


volunteer_locations = sa.Table(
    "volunteer_locations",
    db.Model.metadata,
    sa.Column("volunteer_id", sa.ForeignKey("volunteers.id", ondelete="CASCADE"),
              primary_key=True),
    # Ranking asks "which volunteers work at this location" the other way round as well.
    sa.Column("location_id", sa.ForeignKey("locations.id", ondelete="CASCADE"),
              primary_key=True, index=True),
)


class Volunteer(db.Model):
    __tablename__ = "volunteers"
    __table_args__ = (
        sa.CheckConstraint("status IN ('active', 'paused', 'stopped')", name="status"),
        sa.CheckConstraint("capacity >= 0", name="capacity"),
        sa.Index("ix_volunteers_name", "last_name", "first_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Optimistic locking: every UPDATE checks and raises it, so a save over changes that
    # someone else made after the form was opened is refused (app/core/records.py).
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}
    first_name: Mapped[str] = mapped_column(sa.String(80))
    last_name: Mapped[str] = mapped_column(sa.String(120), default="")
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    # Optional; only used when a participant asked for a man or a woman at the intake.
    sex: Mapped[str | None] = mapped_column(sa.String(10))
    # Slots like "mon-morning", the same grid as the intake (choices.AVAILABILITY_SLOTS).
    availability: Mapped[list] = mapped_column(sa.JSON, default=list)
    # How many participants at the same time.
    capacity: Mapped[int] = mapped_column(default=1)
    # Codes of the reference list "goal_subject" this volunteer can help with.
    domains: Mapped[list] = mapped_column(sa.JSON, default=list)
    # Languages besides Dutch, as typed ("Arabisch", "Turks"); compared without case.
    languages: Mapped[list] = mapped_column(sa.JSON, default=list)
    # Date of the VOG (verklaring omtrent het gedrag); too old or missing blocks matching.
    vog_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(sa.String(10), default=VolunteerStatus.ACTIVE, index=True)
    status_reason: Mapped[str | None] = mapped_column(sa.String(300))
    status_changed_on: Mapped[date | None]
    # The account a volunteer signs in with (role volunteer); at most one profile per account.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    locations: Mapped[list["Location"]] = relationship(
        secondary=volunteer_locations, order_by="Location.name")
    trainings: Mapped[list["VolunteerTraining"]] = relationship(
        back_populates="volunteer", order_by="VolunteerTraining.done_on.desc()",
        cascade="all, delete-orphan")
    user: Mapped["User | None"] = relationship()

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def location_ids(self) -> set[int]:
        return {loc.id for loc in self.locations}

    @hybrid_property
    def is_available(self) -> bool:
        """Active: may get new matches and start the ones proposed."""
        return self.status == VolunteerStatus.ACTIVE

    def __repr__(self) -> str:
        return f"<Volunteer {self.id} {self.status}>"


class VolunteerTraining(db.Model):
    """A training the volunteer followed, e.g. the basistraining taalmaatje."""

    __tablename__ = "volunteer_trainings"

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("volunteers.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    done_on: Mapped[date | None]

    volunteer: Mapped["Volunteer"] = relationship(back_populates="trainings")
