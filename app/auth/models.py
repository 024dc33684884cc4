"""Users and their roles."""

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, utcnow
from app.extensions import db

if TYPE_CHECKING:
    from app.admin.models import Location
    from app.partners.models import Partner


class Role(StrEnum):
    """The stored role names. What a role may do is decided in `app.auth.permissions`."""

    ADMIN = "admin"
    COORDINATOR = "coordinator"
    STAFF = "staff"
    VOLUNTEER = "volunteer"
    PARTNER = "partner"


ROLES = tuple(role.value for role in Role)

user_locations = sa.Table(
    "user_locations",
    db.Model.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("location_id", sa.ForeignKey("locations.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    # None until the user has set a password through their invitation link.
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(20), index=True)  # a Role value
    active: Mapped[bool] = mapped_column(default=True)
    partner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("partners.id"), index=True)
    # "digest": a daily e-mail; "none": only the in-app list.
    email_preference: Mapped[str] = mapped_column(sa.String(20), default="digest")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    locations: Mapped[list["Location"]] = relationship(
        secondary=user_locations, lazy="selectin", order_by="Location.name")
    partner: Mapped["Partner | None"] = relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "role IN ('admin', 'coordinator', 'staff', 'volunteer', 'partner')", name="role"
        ),
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses sign-in for inactive users.
        return self.active

    @property
    def location_ids(self) -> set[int]:
        return {loc.id for loc in self.locations}

    @property
    def first_name(self) -> str:
        return self.name.split(" ")[0]

    # Who someone *is*, for the few places that depend on the kind of account rather than on
    # a capability (a volunteer profile needs a volunteer account, a partner user a partner).
    @property
    def is_coordinator(self) -> bool:
        return self.role == Role.COORDINATOR

    @property
    def is_volunteer(self) -> bool:
        return self.role == Role.VOLUNTEER

    @property
    def is_partner(self) -> bool:
        return self.role == Role.PARTNER

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"
