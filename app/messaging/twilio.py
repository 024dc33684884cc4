"""Twilio: SMS and WhatsApp through Twilio's Programmable Messaging REST API.

Sending is one documented call, POST {TWILIO_API_BASE}/2010-04-01/Accounts/{sid}/
Messages.json with HTTP basic auth (Account SID, Auth Token) and the form fields To, From,
Body and StatusCallback; WhatsApp addresses carry a "whatsapp:" prefix. Twilio calls back on
two webhooks (app/messaging/webhooks.py): the delivery status of what we sent, and the
messages people send us. Both are signed (X-Twilio-Signature); the `twilio` package's
RequestValidator checks the signature against the URL Twilio called, which behind a proxy
is only known from HOUVAST_BASE_URL.
"""

import logging
import re
from typing import TYPE_CHECKING
from urllib.parse import quote

from flask import Request, current_app
from twilio.request_validator import RequestValidator

from app.core.mail import external_url
from app.core.phone import normalise_phone
from app.messaging.gateway import (
    GatewayError,
    Inbound,
    OutgoingMessage,
    SendResult,
    StatusUpdate,
    register_backend,
)

if TYPE_CHECKING:
    import requests

log = logging.getLogger(__name__)

WHATSAPP_PREFIX = "whatsapp:"
SIGNATURE_HEADER = "X-Twilio-Signature"

# Twilio's message statuses in our words (DELIVERY_STATUSES). "accepted" and "scheduled"
# are a Messaging Service's "queued"; "sending" is on its way. Others ("receiving",
# "received": inbound; "canceled": a scheduled message we never make) say nothing here.
STATUSES = {
    "queued": "queued", "accepted": "queued", "scheduled": "queued",
    "sending": "sent", "sent": "sent", "delivered": "delivered", "read": "read",
    "failed": "failed", "undelivered": "undelivered",
}

# Twilio error codes after which the same message will never go: retrying only costs
# money and hides the problem from the page. Any other refusal (a wrong token, a sender
# not yet enabled, a region not switched on) is the operator's to fix: it is retried, and
# given up by the ledger after a day (RETRY_FOR).
PERMANENT_ERRORS = {
    21211: "invalid 'To' number",
    21610: "the person unsubscribed (STOP) at Twilio",
    21614: "'To' is not a mobile number",
    21617: "the text is longer than 1600 characters",
    63003: "the number is not on WhatsApp",
    63016: "outside WhatsApp's 24-hour window: a WhatsApp template is needed",
}

# Twilio's message SIDs: two letters ("SM", "MM") and 32 hexadecimal characters.
_SID = re.compile(r"^[A-Z]{2}[0-9a-fA-F]{32}$")
# Control characters (tab and newline are text) break PostgreSQL (NUL) and the page.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def webhook_url(request: Request) -> str:
    """The URL Twilio called, as Twilio signed it: our public address, not the Host header
    or the scheme the proxy in front of us used."""
    url = external_url(request.endpoint, **(request.view_args or {}))
    if request.query_string:
        url += "?" + request.query_string.decode("utf-8", "replace")
    return url


def _text(value: str | None, limit: int) -> str:
    return _CONTROL.sub("", value or "")[:limit]


def _address(value: str | None) -> tuple[str, str | None]:
    """(channel, E.164 number) of a Twilio address: "whatsapp:+316..." or "+316..."."""
    value = (value or "").strip()
    channel = "sms"
    if value.lower().startswith(WHATSAPP_PREFIX):
        channel, value = "whatsapp", value[len(WHATSAPP_PREFIX):]
    if not value.startswith("+"):
        return channel, None  # a short code or a name: nobody we could ever message
    return channel, normalise_phone(value)


def _error_of(response: "requests.Response") -> GatewayError:
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        payload = {}
    code = payload.get("code")
    text = str(payload.get("message") or response.reason or "")[:200]
    label = f"Twilio {response.status_code}" + (f"/{code}" if code else "")
    if response.status_code == 429 or response.status_code >= 500:
        return GatewayError(f"{label}: {text} (tried again later)")
    if isinstance(code, int) and code in PERMANENT_ERRORS:
        return GatewayError(f"{label}: {PERMANENT_ERRORS[code]}: {text}", permanent=True)
    return GatewayError(f"{label}: {text}")


class TwilioGateway:
    name = "twilio"

    def __init__(self, config=None):
        config = config if config is not None else current_app.config
        self.account_sid = config.get("TWILIO_ACCOUNT_SID") or ""
        self.auth_token = config.get("TWILIO_AUTH_TOKEN") or ""
        self.senders = {"sms": config.get("TWILIO_SMS_FROM"),
                        "whatsapp": config.get("TWILIO_WHATSAPP_FROM")}
        self.api_base = (config.get("TWILIO_API_BASE") or "https://api.twilio.com").rstrip("/")
        self.timeout = float(config.get("MESSAGE_TIMEOUT") or 10.0)

    # --- Sending ---------------------------------------------------------------------------

    def send(self, message: OutgoingMessage) -> SendResult:
        sender = self.senders.get(message.channel)
        if not sender:
            # Permanent for this message; `flask mail retry` sends it once the sender is set.
            setting = "TWILIO_WHATSAPP_FROM" if message.channel == "whatsapp" \
                else "TWILIO_SMS_FROM"
            raise GatewayError(f"no Twilio sender for {message.channel}: {setting} is not set",
                               permanent=True)
        to = message.to
        if message.channel == "whatsapp":
            to, sender = WHATSAPP_PREFIX + to, WHATSAPP_PREFIX + sender
        url = f"{self.api_base}/2010-04-01/Accounts/{quote(self.account_sid)}/Messages.json"
        form = {"To": to, "From": sender, "Body": message.body,
                "StatusCallback": external_url("messaging.twilio_status")}
        # Imported here, not at the top: requests adds ~5 MB to every web worker and only
        # sending through Twilio needs it (issue 14: worker memory).
        import requests

        try:
            response = requests.post(url, data=form, auth=(self.account_sid, self.auth_token),
                                     timeout=self.timeout, allow_redirects=False)
        except requests.RequestException as exc:
            # Not reached, or no answer in time: Twilio may or may not have the message. A
            # retry can send it twice, which for a reminder beats never.
            log.warning("Twilio not reached: %s", exc)
            raise GatewayError(f"Twilio not reached: {exc.__class__.__name__}") from exc
        if response.status_code not in (200, 201):
            error = _error_of(response)
            log.warning("Twilio refused a %s message: %s", message.channel, error)
            raise error
        try:
            payload = response.json()
        except ValueError:
            payload = None
        sid = payload.get("sid") if isinstance(payload, dict) else None
        if not isinstance(sid, str) or not _SID.match(sid):
            raise GatewayError(f"Twilio {response.status_code} without a message sid")
        status = STATUSES.get(str(payload.get("status") or "queued").lower(), "queued")
        return SendResult(sid, status)

    # --- Webhooks --------------------------------------------------------------------------

    def verify(self, request: Request) -> bool:
        signature = request.headers.get(SIGNATURE_HEADER, "")
        if not signature or not self.auth_token:
            return False
        return RequestValidator(self.auth_token).validate(
            webhook_url(request), request.form, signature)

    def parse_status(self, request: Request) -> list[StatusUpdate]:
        form = request.form
        sid = form.get("MessageSid") or form.get("SmsSid") or ""
        status = STATUSES.get((form.get("MessageStatus") or form.get("SmsStatus") or "").lower())
        if not _SID.match(sid) or status is None:
            return []
        error = None
        code = (form.get("ErrorCode") or "").strip()
        if code.isdigit():
            meaning = PERMANENT_ERRORS.get(int(code))
            error = f"Twilio {code}" + (f": {meaning}" if meaning else "")
        return [StatusUpdate(sid, status, error)]

    def parse_inbound(self, request: Request) -> list[Inbound]:
        form = request.form
        sid = form.get("MessageSid") or form.get("SmsMessageSid") or ""
        channel, phone = _address(form.get("From"))
        if not _SID.match(sid) or phone is None:
            return []
        return [Inbound(sid, channel, phone, _text(form.get("Body"), 2000))]


def connect() -> None:
    register_backend("twilio", TwilioGateway)


__all__ = ["TwilioGateway", "webhook_url", "connect"]
