"""Self-registrations from the public "Aanmelden" page, waiting for staff."""

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, utcnow
from app.extensions import db

if TYPE_CHECKING:
    from app.auth.models import User
    from app.participants.models import Trajectory


class SelfRegistrationStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"



class SelfRegistration(db.Model):
    __tablename__ = "self_registrations"
    __table_args__ = (
        # The staff queue: pending ones, oldest first.
        sa.Index("ix_self_registrations_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(sa.String(80))
    phone: Mapped[str] = mapped_column(sa.String(40))
    best_moment: Mapped[str | None] = mapped_column(sa.String(200))
    # Subjects ticked on the form (pictograms), comma separated codes.
    topics: Mapped[str | None] = mapped_column(sa.String(200))
    question: Mapped[str | None] = mapped_column(sa.Text)
    helped_by: Mapped[str | None] = mapped_column(sa.String(120))
    status: Mapped[str] = mapped_column(sa.String(10), default=SelfRegistrationStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    trajectory_id: Mapped[int | None] = mapped_column(sa.ForeignKey("trajectories.id"))

    decided_by: Mapped["User | None"] = relationship()
    trajectory: Mapped["Trajectory | None"] = relationship()

    @hybrid_property
    def is_pending(self) -> bool:
        return self.status == SelfRegistrationStatus.PENDING
