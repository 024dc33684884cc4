"""Referring partner organisations and their contact people."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, utcnow
from app.extensions import db


class Partner(db.Model):
    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Optimistic locking: every UPDATE checks and raises it, so a save over changes that
    # someone else made after the form was opened is refused (app/core/records.py).
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}
    name: Mapped[str] = mapped_column(sa.String(160), unique=True)
    # A code from the reference list "partner_kind" (gemeente, uwv, ...).
    kind: Mapped[str] = mapped_column(sa.String(60))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    # An admin can switch off status signals to this partner (issue: partner loop).
    signals_enabled: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contacts: Mapped[list["PartnerContact"]] = relationship(
        back_populates="partner", order_by="PartnerContact.name", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<Partner {self.name}>"


class PartnerContact(db.Model):
    __tablename__ = "partner_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(sa.ForeignKey("partners.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    role: Mapped[str | None] = mapped_column(sa.String(120))
    active: Mapped[bool] = mapped_column(default=True)

    partner: Mapped["Partner"] = relationship(back_populates="contacts")
