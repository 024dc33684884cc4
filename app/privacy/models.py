"""An erasure asked for by a coordinator and confirmed by an admin (four eyes)."""

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, utcnow
from app.extensions import db

if TYPE_CHECKING:
    from app.auth.models import User
    from app.participants.models import Participant


class ErasureStatus(StrEnum):
    REQUESTED = "requested"
    # An admin confirmed and the person was anonymised in the same transaction.
    DONE = "done"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


class ErasureRequest(db.Model):
    """No personal data of its own: after the erasure it says only who asked, who confirmed
    and when, for the record."""

    __tablename__ = "erasure_requests"
    __table_args__ = (sa.Index("ix_erasure_requests_status", "status", "requested_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}
    participant_id: Mapped[int] = mapped_column(sa.ForeignKey("participants.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(20), default=ErasureStatus.REQUESTED)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why a request was refused or withdrawn, in a few words; never the erased data.
    decision_note: Mapped[str | None] = mapped_column(sa.String(300))

    participant: Mapped["Participant"] = relationship()
    requested_by: Mapped["User | None"] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped["User | None"] = relationship(foreign_keys=[decided_by_id])
