"""The ledger of every reminder or signal: claimed before sending, so nothing goes twice."""

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, utcnow
from app.extensions import db

if TYPE_CHECKING:
    from app.auth.models import User


def subject_of(subject_key: str | None) -> tuple[str, int | None]:
    """What a ledger row is about: ("appointment", 12) for "appointment:12"; the id is None
    when the key names no record ("free:x", a digest's day)."""
    kind, _sep, ident = (subject_key or "").partition(":")
    return kind, (int(ident) if ident.isdigit() else None)


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        sa.UniqueConstraint("kind", "subject_key", "recipient_key", "period_key",
                            name="uq_notifications_once"),
        # The sender picks what is pending, and failures whose next attempt is due.
        sa.Index("ix_notifications_status_next_attempt", "status", "next_attempt_at"),
        sa.Index("ix_notifications_user_created", "user_id", "created_at"),
        # The unread count in every page's menu: only the unread ones, per user.
        sa.Index("ix_notifications_user_unread", "user_id",
                 postgresql_where=sa.text("read_at IS NULL"),
                 sqlite_where=sa.text("read_at IS NULL")),
        # The participant page's messages, and the newest message to a number (answers).
        sa.Index("ix_notifications_participant_created", "participant_id", "created_at"),
        sa.Index("ix_notifications_phone_created", "phone", "created_at"),
        # Delivery-status callbacks find their message by the provider's id.
        sa.Index("ix_notifications_provider_message_id", "provider_message_id"),
        # The inzage: the messages to staff and referrers about one person's trajectories,
        # matches, appointments, group places and sessions ("trajectory:12", ...).
        sa.Index("ix_notifications_subject_key", "subject_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # e.g. "digest", "volunteer_reminder", "out_of_view", "waiting_too_long", "referrer_signal".
    kind: Mapped[str] = mapped_column(sa.String(40))
    # What it is about, e.g. "trajectory:12" or "user:3" for a digest.
    subject_key: Mapped[str] = mapped_column(sa.String(60))
    # Who gets it: "user:7" or, for partner contacts, "contact:4".
    recipient_key: Mapped[str] = mapped_column(sa.String(60))
    # The period it belongs to, e.g. "2026-11-23" for a daily digest: one per period.
    period_key: Mapped[str] = mapped_column(sa.String(40))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    # "email" or "app" (in-app only, e.g. when the user chose no e-mail); for a message to
    # a participant also "sms", "whatsapp", "letter" (to print) or "call" (a call task).
    channel: Mapped[str] = mapped_column(sa.String(10), default="email")
    # Set for a message to a participant (app/messaging); None for staff and partners.
    participant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("participants.id"))
    trajectory_id: Mapped[int | None] = mapped_column(sa.ForeignKey("trajectories.id"))
    # E.164 number an SMS or WhatsApp goes to, fixed at the claim.
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    # Not sent before this moment: a reminder waits for a decent hour, and what is claimed
    # in the quiet hours waits for their end.
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The gateway's id of the sent message, and what its delivery-status callbacks said
    # ("queued", "sent", "delivered", "read", "failed", "undelivered").
    provider_message_id: Mapped[str | None] = mapped_column(sa.String(100))
    delivery_status: Mapped[str | None] = mapped_column(sa.String(20))
    delivery_status_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    # The HTML part of an e-mail, kept so a retry sends exactly what was claimed.
    html: Mapped[str | None] = mapped_column(sa.Text)
    link: Mapped[str | None] = mapped_column(sa.String(300))
    # pending → sent, or failed (tried again at `next_attempt_at`, with a growing pause,
    # for at least a day from the first try and MIN_ATTEMPTS times; then "given up": failed
    # with no next attempt, listed by `flask mail failed` and retried by `mail retry`); "app"
    # messages are "sent" at once; "skipped" when a delivery guard said no at sending time
    # (e.g. a referrer signal after the consent was withdrawn), and for a daily message
    # that had nothing to report (the day's decision, so nothing comes later that day).
    status: Mapped[str] = mapped_column(sa.String(10), default=NotificationStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.String(300))
    # The first try: the retry window counts from here, not from the claim (the scheduler
    # may have been down between the two). None until tried; a manual retry resets it.
    first_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When a failed e-mail is tried again; None for pending (at once) and when given up.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped["User | None"] = relationship()
