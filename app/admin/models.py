"""Locations and the reference lists an admin can extend."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, utcnow
from app.extensions import db


class Location(db.Model):
    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    municipality: Mapped[str] = mapped_column(sa.String(120))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What a message or appointment card to a participant says: the street address, the
    # number to call, and how to find the door ("Ingang naast de bibliotheek, 1e etage").
    address: Mapped[str | None] = mapped_column(sa.String(200))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    directions: Mapped[str | None] = mapped_column(sa.String(300))
    # Who owns a new trajectory here (OwnerMode): nobody until a coordinator claims it, one
    # fixed coordinator, or the coordinators in turn.
    owner_mode: Mapped[str] = mapped_column(sa.String(20), default="registrar",
                                            server_default="registrar")
    default_owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # The rotation's pointer: the coordinator who got the last trajectory. It is read and
    # moved with the location row locked, so two registrations at once get the next two.
    last_owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    default_owner = relationship("User", foreign_keys=[default_owner_id])

    def __repr__(self) -> str:
        return f"<Location {self.name}>"


class OwnerMode:
    """Location.owner_mode values."""

    REGISTRAR = "registrar"
    FIXED = "fixed"
    ROTATION = "rotation"


class ReferenceItem(db.Model):
    """One entry of a choice list (DESIGN.md "Reference lists"), e.g. a goal subject."""

    __tablename__ = "reference_items"
    __table_args__ = (sa.UniqueConstraint("list_name", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    list_name: Mapped[str] = mapped_column(sa.String(40), index=True)
    code: Mapped[str] = mapped_column(sa.String(60))
    label: Mapped[str] = mapped_column(sa.String(120))
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class CalendarSettings(db.Model):
    """Which public holidays the Taalhuis is closed on (one row; none yet: the defaults of
    app/core/timeutil.py). Its own closed days are ClosedDay rows."""

    __tablename__ = "calendar_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Keys of timeutil.PUBLIC_HOLIDAYS, comma-separated.
    closed_holidays: Mapped[str] = mapped_column(sa.String(300))
    liberation_day: Mapped[str] = mapped_column(sa.String(20))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ClosedDay(db.Model):
    """A day the Taalhuis itself is closed (e.g. between Christmas and New Year)."""

    __tablename__ = "closed_days"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, unique=True)
