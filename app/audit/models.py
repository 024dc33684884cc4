"""The audit log: who viewed or changed which participant record, when, from where."""

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, utcnow
from app.extensions import db

if TYPE_CHECKING:
    from app.auth.models import User


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (
        # "Wie keek er?" and the inzage: one person's events, newest first, a page at a time
        # however long their history.
        sa.Index("ix_audit_events_participant_at", "participant_id", "at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    # view, create, update, export, delete, login, ...
    action: Mapped[str] = mapped_column(sa.String(20))
    object_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[int | None]
    participant_id: Mapped[int | None] = mapped_column(index=True)
    summary: Mapped[str | None] = mapped_column(sa.String(300))
    ip: Mapped[str | None] = mapped_column(sa.String(64))

    user: Mapped["User | None"] = relationship()
