"""Where the links in e-mails and in-app messages lead.

HOUVAST_BASE_URL when it is set (production: the public address). Without it, the address
this process serves the app on, so that `PORT=5821 make run` mails links to port 5821: the
`flask run` command that is starting the app (its --host/--port/--cert), or PORT. Never the
Host header of a request: a forged Host would put an attacker's address in a password link
mailed to a real user. A server that says neither (gunicorn without HOUVAST_BASE_URL or
PORT) links to the fallback; `flask jobs run` warns about it at start.
"""

from urllib.parse import urlsplit

import click
from flask import current_app
from flask.cli import run_command

FALLBACK = "http://127.0.0.1:5000"
# A server listening on every interface is reached on this machine at the loopback address.
_ANY_ADDRESS = {"", "0.0.0.0", "::"}  # noqa: S104 (compared, never bound)


def served_address(config) -> str | None:
    """The base URL of the server this process is, when it knows one."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.command is run_command:
        host = ctx.params.get("host") or "127.0.0.1"
        host = "127.0.0.1" if host in _ANY_ADDRESS else host
        if ":" in host:
            host = f"[{host}]"
        scheme = "https" if ctx.params.get("cert") else "http"
        return f"{scheme}://{host}:{ctx.params['port']}"
    if config.get("PORT"):
        return f"http://127.0.0.1:{config['PORT']}"
    return None


def base_url() -> str:
    config = current_app.config
    if config.get("HOUVAST_BASE_URL"):
        return config["HOUVAST_BASE_URL"]
    if config.get("HOUVAST_SERVED_AT"):
        return config["HOUVAST_SERVED_AT"]
    return FALLBACK


def safe_next(target: str | None) -> str | None:
    """Only local paths, so a sign-in page cannot be used as an open redirect."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target
