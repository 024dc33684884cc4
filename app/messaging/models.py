"""Messages to the participant: editable texts, answers that come back, and STOP.

What is sent lives in the `notifications` ledger like every other message (with
`participant_id` set and channel "sms", "whatsapp", "email", "letter" or "call"), so it is
claimed once and sent once whatever the number of schedulers.
"""

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, utcnow
from app.extensions import db

if TYPE_CHECKING:
    from app.auth.models import User
    from app.participants.models import Participant, Trajectory


class Channel(StrEnum):
    """How a message reaches the participant (the ledger's `channel` for their messages)."""

    SMS = "sms"
    WHATSAPP = "whatsapp"
    EMAIL = "email"
    LETTER = "letter"  # a card or letter to print and hand over or post
    CALL = "call"      # nothing is sent: the owner gets a call task


# Sent through the message gateway; quiet hours apply to these.
GATEWAY_CHANNELS = (Channel.SMS, Channel.WHATSAPP)


class MessageTemplate(db.Model):
    """An admin's text for one kind of message in one language ("nl" is the Dutch text).

    No row for a kind in Dutch means the built-in default text (app/messaging/texts.py).
    """

    __tablename__ = "message_templates"
    __table_args__ = (sa.UniqueConstraint("code", "language", name="uq_message_templates"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}
    code: Mapped[str] = mapped_column(sa.String(40))
    language: Mapped[str] = mapped_column(sa.String(10))
    body: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    updated_by: Mapped["User | None"] = relationship()


class AnswerMeaning(StrEnum):
    CONFIRM = "confirm"      # "JA", "ok", "kom", 👍: the appointment is confirmed
    DECLINE = "decline"      # "NEE", "kan niet": the owner is asked to plan again
    STOP = "stop"            # "STOP", "afmelden": no more messages in that channel
    OTHER = "other"          # anything else: the owner reads it
    UNKNOWN = "unknown"      # from a number that belongs to nobody (kept, never answered)


class InboundMessage(db.Model):
    """An answer that came in through the gateway; one row per provider message id."""

    __tablename__ = "inbound_messages"
    __table_args__ = (
        # Providers resend a webhook they think failed: the same message is stored once.
        sa.UniqueConstraint("provider", "provider_message_id", name="uq_inbound_provider_id"),
        sa.Index("ix_inbound_participant_received", "participant_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(sa.String(20))
    provider_message_id: Mapped[str] = mapped_column(sa.String(100))
    channel: Mapped[str] = mapped_column(sa.String(10))
    # E.164, as the provider gave it (without any "whatsapp:" prefix).
    from_phone: Mapped[str] = mapped_column(sa.String(40), index=True)
    body: Mapped[str] = mapped_column(sa.Text, default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    participant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("participants.id"))
    trajectory_id: Mapped[int | None] = mapped_column(sa.ForeignKey("trajectories.id"))
    meaning: Mapped[str] = mapped_column(sa.String(10), default=AnswerMeaning.OTHER)
    # The message it answers (the newest one sent to that number in that channel).
    answers_id: Mapped[int | None] = mapped_column(sa.ForeignKey("notifications.id"))
    # When the owner marked it as read ("anything else is shown to the owner to read").
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    participant: Mapped["Participant | None"] = relationship()
    trajectory: Mapped["Trajectory | None"] = relationship()


class MessageStop(db.Model):
    """A STOP: no more messages to this number in this channel, from `stopped_at` on.

    Keyed on the number, not only the person: a number shared by two people, or moved to
    another record, is still never messaged after its owner said STOP.
    """

    __tablename__ = "message_stops"
    __table_args__ = (
        sa.Index("ix_message_stops_phone_channel", "phone", "channel"),
        sa.Index("ix_message_stops_participant", "participant_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("participants.id"))
    channel: Mapped[str] = mapped_column(sa.String(10))
    phone: Mapped[str] = mapped_column(sa.String(40))
    stopped_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # "answer" (the person sent STOP) or "staff" (recorded by hand, e.g. asked by phone).
    source: Mapped[str] = mapped_column(sa.String(10), default="answer")
    # Lifted when the person asks for messages again (recorded by staff); kept for history.
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lifted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    participant: Mapped["Participant | None"] = relationship()
