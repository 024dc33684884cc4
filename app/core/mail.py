"""Outgoing e-mail: the one module every feature sends mail through.

With MAIL_SERVER set, mail goes out over SMTP (smtplib). Without it (development, demos),
each message is written as an .eml file into `<instance>/outbox/`, so nothing leaves the
machine and a developer can still open what would have been sent.
"""

import hashlib
import logging
import smtplib
import ssl
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app, render_template
from jinja2 import TemplateNotFound

from app.core.private_files import private_folder, write_private
from app.core.urls import base_url

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10


class MailError(Exception):
    """Sending failed (server down, refused, bad login). The caller may retry later."""


def build_message(to: str | Iterable[str], subject: str, text: str, html: str | None = None,
                  sender: str | None = None, message_key: str | None = None) -> EmailMessage:
    """A UTF-8 message with a plain-text body and, when given, an HTML alternative.

    Plain text comes first: many mail programs of our users show only that part.
    With `message_key` the Message-ID is derived from it, so a copy sent again (after a crash
    between sending and recording it) carries the same id and the receiving side can drop it.
    """
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender or current_app.config["MAIL_DEFAULT_SENDER"]
    msg["To"] = to if isinstance(to, str) else ", ".join(to)
    msg["Date"] = format_datetime(datetime.now(UTC))
    domain = _sender_domain(str(msg["From"]))
    if message_key is None:
        msg["Message-ID"] = make_msgid(domain=domain)
    else:
        digest = hashlib.sha256(message_key.encode()).hexdigest()[:32]
        msg["Message-ID"] = f"<houvast.{digest}@{domain}>"
    msg.set_content(text, charset="utf-8")
    if html is not None:
        msg.add_alternative(html, subtype="html", charset="utf-8")
    # After the body: setting content drops earlier Content-* headers.
    msg["Content-Language"] = "nl"
    return msg


def render_message(to: str | Iterable[str], subject: str, template: str,
                   sender: str | None = None, **context) -> EmailMessage:
    """Build a message from `templates/mail/<template>.txt` and `.html` (when it exists).

    The templates get `subject` too; the HTML ones extend `mail/_layout.html`.
    """
    text = render_template(f"mail/{template}.txt", subject=subject, **context)
    try:
        html = render_template(f"mail/{template}.html", subject=subject, **context)
    except TemplateNotFound:
        html = None
    return build_message(to, subject, text, html, sender=sender)


def send_message(msg: EmailMessage) -> None:
    """Send `msg` over SMTP, or write it to the outbox when no mail server is configured.

    Raises MailError when the server cannot be reached or refuses the message.
    """
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        path = _write_to_outbox(msg)
        log.info("mail %r to %s written to %s (no MAIL_SERVER set)",
                 str(msg["Subject"]), msg["To"], path)
        return
    host, port = config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25)
    timeout = config.get("MAIL_TIMEOUT", DEFAULT_TIMEOUT)
    try:
        if config.get("MAIL_USE_SSL"):
            conn = smtplib.SMTP_SSL(host, port, timeout=timeout,
                                    context=ssl.create_default_context())
        else:
            conn = smtplib.SMTP(host, port, timeout=timeout)
        with conn:
            if config.get("MAIL_USE_TLS") and not config.get("MAIL_USE_SSL"):
                conn.starttls(context=ssl.create_default_context())
                conn.ehlo()
            if config.get("MAIL_USERNAME"):
                conn.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            conn.send_message(msg)
    except (smtplib.SMTPException, OSError) as exc:
        # Only the server, the recipient and the error: never the login or password.
        log.warning("mail %r to %s via %s:%s failed: %s",
                    str(msg["Subject"]), msg["To"], host, port, exc.__class__.__name__)
        raise MailError(f"mail to {msg['To']} could not be sent via {host}:{port}: "
                        f"{exc.__class__.__name__}") from exc
    log.info("mail %r sent to %s", str(msg["Subject"]), msg["To"])


def outbox_path() -> Path:
    return Path(current_app.instance_path) / "outbox"


def _write_to_outbox(msg: EmailMessage) -> Path:
    # A mail names a participant: the outbox and its files are for the owner only.
    outbox = private_folder(outbox_path())
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return write_private(outbox / f"{stamp}-{uuid.uuid4().hex[:8]}.eml", msg.as_bytes())


def _sender_domain(sender: str) -> str:
    address = sender.rsplit("<", 1)[-1].rstrip(">").strip()
    return address.rsplit("@", 1)[-1] if "@" in address else "houvast.local"


def external_url(endpoint: str, **values) -> str:
    """An absolute link for a mail, built on HOUVAST_BASE_URL or where the app is served.

    Not on the request's Host header while either is known: a forged Host would put an
    attacker's address in a password link that we mail to a real user.
    """
    base = urlsplit(base_url())
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path.rstrip("/") or "/", url_scheme=base.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)
