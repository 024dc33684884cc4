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
    # Only the newest password link works: each link carries this value, a new link (or a
    # used one) replaces it (app/auth/tokens.py).
    password_link_nonce: Mapped[str | None] = mapped_column(sa.String(32))
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Two-factor sign-in (TOTP, app/auth/twofactor.py): the shared secret (base32) once set
    # up, and when the user confirmed it with a first code. A secret without that date is a
    # set-up that was not finished and does not count.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

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
    def has_password(self) -> bool:
        return bool(self.password_hash)

    @property
    def has_two_factor(self) -> bool:
        return bool(self.totp_secret and self.totp_enabled_at)

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


class UserSession(db.Model):
    """One signed-in browser, on the server (app/auth/server_sessions.py).

    The cookie carries a random token; only its hash is stored. A session ends (ended_at)
    at sign-out, on a password change, on deactivation, on a 2FA reset, after the idle
    timeout and after the absolute lifetime: from then on the cookie signs nobody in.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "afgemeld", "wachtwoord", "gedeactiveerd", "2fa-reset", "overal-afgemeld", "inactief",
    # "verlopen": why it ended, for the user's own page and the audit log.
    ended_reason: Mapped[str | None] = mapped_column(sa.String(30))
    # What the user sees in their list of sessions ("Chrome op Linux"), nothing more.
    device: Mapped[str | None] = mapped_column(sa.String(80))

    user: Mapped[User] = relationship()

    __table_args__ = (sa.Index("ix_user_sessions_user_open", "user_id", "ended_at"),)


class RecoveryCode(db.Model):
    """A one-time code that stands in for the authenticator app; stored hashed (argon2)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TrustedDevice(db.Model):
    """"Vertrouw dit apparaat 30 dagen": a browser that may skip the second factor.

    The browser keeps a random token in a cookie; only its hash is stored, so a copied
    database does not give anyone a trusted browser. A 2FA reset removes all of a user's.
    """

    __tablename__ = "trusted_devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
