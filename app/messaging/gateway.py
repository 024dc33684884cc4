"""The message gateway: the one interface SMS and WhatsApp go through.

A gateway sends a message, and reads the two webhooks a provider calls back on: a
delivery-status callback and an inbound message (an answer). Each webhook's signature is
checked by the gateway before anything in it is believed. `get_gateway()` picks the backend
from MESSAGE_GATEWAY: "outbox" (development and `make run`: a JSON file per message in
`<instance>/outbox/`, nothing leaves the machine) or a real provider.
"""

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from flask import Request, current_app

from app.core.private_files import private_folder, write_private
from app.notifications.service import DeliveryError

log = logging.getLogger(__name__)


class GatewayError(DeliveryError):
    """Sending failed. `permanent`: the same message will never go (a number that cannot
    receive it, a refused text); otherwise the ledger tries again later."""


@dataclass(frozen=True)
class OutgoingMessage:
    channel: str          # "sms" or "whatsapp"
    to: str               # E.164
    body: str
    # Our ledger key: the same on every retry of this message (providers that support a
    # client reference get it, so they can drop a copy).
    reference: str


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str
    # What the provider said at once, in our words: "queued", "sent", "delivered".
    status: str = "queued"


# Delivery statuses, in our words, whatever the provider calls them.
DELIVERY_STATUSES = ("queued", "sent", "delivered", "read", "failed", "undelivered")


@dataclass(frozen=True)
class StatusUpdate:
    provider_message_id: str
    status: str           # one of DELIVERY_STATUSES
    error: str | None = None


@dataclass(frozen=True)
class Inbound:
    provider_message_id: str
    channel: str          # "sms" or "whatsapp"
    from_phone: str       # E.164, without a "whatsapp:" prefix
    body: str


class Gateway(Protocol):
    name: str

    def send(self, message: OutgoingMessage) -> SendResult:
        """Hand the message to the provider; raises GatewayError."""

    def verify(self, request: Request) -> bool:
        """Is this webhook request really from the provider (its signature)?"""

    def parse_status(self, request: Request) -> list[StatusUpdate]:
        """The delivery-status updates in a verified status callback."""

    def parse_inbound(self, request: Request) -> list[Inbound]:
        """The messages in a verified inbound webhook."""


class OutboxGateway:
    """Writes each message as JSON into `<instance>/outbox/`; for development and demos.

    It has no webhooks (nothing outside may post to it): `flask messages receive` stands in
    for an answer coming in.
    """

    name = "outbox"

    def send(self, message: OutgoingMessage) -> SendResult:
        # A participant's phone number and message: for the owner of the instance only.
        outbox = private_folder(Path(current_app.instance_path) / "outbox")
        provider_id = f"outbox-{uuid.uuid4().hex}"
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = outbox / f"{stamp}-{provider_id[7:15]}.{message.channel}.json"
        write_private(path, json.dumps({**asdict(message), "provider_message_id": provider_id},
                                       ensure_ascii=False, indent=2).encode("utf-8"))
        log.info("%s to %s written to %s (outbox gateway)", message.channel, message.to, path)
        return SendResult(provider_id, "sent")

    def verify(self, request: Request) -> bool:
        return False

    def parse_status(self, request: Request) -> list[StatusUpdate]:
        return []

    def parse_inbound(self, request: Request) -> list[Inbound]:
        return []


_backends: dict[str, Callable[[], Gateway]] = {"outbox": OutboxGateway}


def register_backend(name: str, factory: Callable[[], Gateway]) -> None:
    """A provider module registers its gateway under the MESSAGE_GATEWAY value it answers to."""
    _backends[name] = factory


def get_gateway() -> Gateway:
    name = current_app.config.get("MESSAGE_GATEWAY", "outbox")
    try:
        factory = _backends[name]
    except KeyError:
        raise GatewayError(f"unknown message gateway {name!r}", permanent=False) from None
    return factory()
