"""Configuration from environment variables (DESIGN.md, "Stable interfaces")."""

import math
import os
import re
import sys
from datetime import timedelta
from typing import NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask.helpers import get_debug_flag

TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(SystemExit):
    """A setting that cannot be used: the process stops with one line, no traceback.

    A SystemExit because config is read while `wsgi` is imported, before any command or
    server could catch an exception (flask CLI, gunicorn and `python -c` alike). Status 3 is
    what gunicorn reads as "worker failed to boot": it stops instead of starting new
    workers forever.
    """

    STATUS = 3

    def __init__(self, message: str):
        super().__init__(self.STATUS)
        self.message = f"Houvast configuration error: {message}"

    def __str__(self) -> str:
        return self.message


def _stop(message: str) -> NoReturn:
    error = ConfigError(message)
    # A SystemExit with a number prints nothing by itself.
    print(error.message, file=sys.stderr)
    raise error


def _setting(name: str) -> str | None:
    # Compose files often say `MAIL_PORT=` for "not set": empty counts as unset.
    value = os.environ.get(name)
    return value.strip() if value and value.strip() else None


def _bool(name: str, default: bool = False) -> bool:
    value = _setting(name)
    if value is None:
        return default
    if value.lower() in TRUE:
        return True
    if value.lower() in FALSE:
        return False
    _stop(f"{name} must be one of {', '.join(TRUE + FALSE)} (got {value!r})")


def _number(name: str, default, *, minimum: float, maximum: float | None = None,
            kind: type = int):
    value = _setting(name)
    if value is None:
        return default
    bounds = f"of {minimum:g} or more" if maximum is None else f"from {minimum:g} to {maximum:g}"
    try:
        number = kind(value)
    except ValueError:
        number = None
    # As "not minimum <= number < inf", so "nan" and "inf" (float() takes both) fail too.
    if (number is None or not minimum <= number < math.inf
            or (maximum is not None and number > maximum)):
        _stop(f"{name} must be a number {bounds} (got {value!r})")
    return number


def _log_level(name: str, default: str) -> str:
    value = _setting(name) or default
    if value.upper() not in LOG_LEVELS:
        _stop(f"{name} must be one of {', '.join(LOG_LEVELS)} (got {value!r})")
    return value.upper()


def _timezone(name: str, default: str) -> str:
    value = _setting(name) or default
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        known = False
    else:
        known = True
    if not known:
        _stop(f"{name} must be a time zone such as Europe/Amsterdam (got {value!r})")
    return value


def _base_url(name: str) -> str | None:
    value = _setting(name)
    if value is not None and not value.startswith(("http://", "https://")):
        _stop(f"{name} must start with http:// or https:// (got {value!r})")
    return value


def _database_url() -> str | None:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return None
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants the psycopg 3 driver named.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    # None: create_app keeps a random key in the instance folder (one server only; set
    # SECRET_KEY when several web processes on different machines share the database).
    SECRET_KEY = os.environ.get("SECRET_KEY") or None
    # None means: a SQLite file in the instance folder, filled in by create_app.
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # A database that is reachable but does not answer must not hold a worker for ever:
    # seconds to wait for a new connection (PostgreSQL; SQLite: for a locked file), and
    # seconds after which PostgreSQL cancels any one query (0: no limit). create_app puts
    # both into the engine's connect arguments.
    DB_CONNECT_TIMEOUT = _number("HOUVAST_DB_CONNECT_TIMEOUT", 5, minimum=1)
    DB_STATEMENT_TIMEOUT = _number("HOUVAST_DB_STATEMENT_TIMEOUT", 30.0, minimum=0,
                                   kind=float)

    HOUVAST_TIMEZONE = _timezone("HOUVAST_TIMEZONE", "Europe/Amsterdam")
    # None: links lead to where this process serves the app (app/core/urls.py).
    HOUVAST_BASE_URL = _base_url("HOUVAST_BASE_URL")
    # The port `make run` (and many hosting platforms) serve on.
    PORT = _number("PORT", None, minimum=1, maximum=65535)
    # Houvast's own log lines (the scheduler's "jobs: ..." among them); libraries log
    # warnings and errors only.
    HOUVAST_LOG_LEVEL = _log_level("HOUVAST_LOG_LEVEL", "INFO")
    # How many proxies (load balancer, nginx) stand in front of gunicorn. Only then are their
    # X-Forwarded-For/-Proto headers believed: the rate limit of the public form and the audit
    # log need the visitor's address, not the proxy's. 0: no proxy, headers ignored (a
    # visitor could otherwise choose their own address).
    HOUVAST_PROXY_HOPS = _number("HOUVAST_PROXY_HOPS", 0, minimum=0)
    # The follow-up thresholds (first-contact deadline, attempts, VOG age, ...) are settings
    # an admin changes under Beheer, stored in the database: app/core/followup.py.
    PASSWORD_LINK_HOURS = _number("HOUVAST_PASSWORD_LINK_HOURS", 72, minimum=1)
    # Failed sign-ins (app/auth/throttle.py): free attempts per account (24 h) and per address
    # (1 h), then a wait of 30 s that doubles with each failure, up to the maximum (seconds).
    SIGNIN_THROTTLE_ACCOUNT_FREE = _number("HOUVAST_SIGNIN_FREE_ATTEMPTS", 5, minimum=1)
    SIGNIN_THROTTLE_ADDRESS_FREE = _number("HOUVAST_SIGNIN_FREE_ATTEMPTS_PER_ADDRESS", 20,
                                           minimum=1)
    SIGNIN_THROTTLE_FIRST_DELAY = 30
    SIGNIN_THROTTLE_MAX_DELAY = _number("HOUVAST_SIGNIN_MAX_DELAY", 900, minimum=30)
    # "Wachtwoord vergeten?": requests per address and per e-mail address per window (s).
    PASSWORD_RESET_RATE_LIMIT = (_number("HOUVAST_PASSWORD_RESET_LIMIT", 5, minimum=1), 3600)
    PER_PAGE = 25
    # The largest request body accepted, in bytes (default 2 MB): anything larger is refused
    # with 413 before it is read. Houvast's forms and API requests are a few kB; a big
    # number only lets someone tie up a worker and its memory.
    MAX_CONTENT_LENGTH = _number("HOUVAST_MAX_REQUEST_BYTES", 2 * 1024 * 1024, minimum=1024)
    # Partner API: requests per token per window (seconds); the public "Aanmelden" form:
    # submissions per address per window. Counted in the database (several web processes).
    API_RATE_LIMIT = (_number("HOUVAST_API_RATE_LIMIT", 120, minimum=1), 60)
    SELFREG_RATE_LIMIT = (_number("HOUVAST_SELFREG_RATE_LIMIT", 5, minimum=1), 3600)
    # The dashboard waits at most this many seconds for each group of figures; a group that
    # is not ready by then is shown as "niet op tijd klaar" instead of holding up the page.
    DASHBOARD_TIMEOUT = _number("HOUVAST_DASHBOARD_TIMEOUT", 10.0, minimum=0.1, kind=float)
    # PostgreSQL cancels a dashboard query after this many seconds (statement_timeout), so a
    # group that missed its page does not keep a connection and a worker thread busy.
    DASHBOARD_STATEMENT_TIMEOUT = _number("HOUVAST_DASHBOARD_STATEMENT_TIMEOUT", 10.0,
                                          minimum=0.1, kind=float)

    # SQLite installations: the scheduler writes a backup here every night (none when not
    # set), and `flask backup` without a folder too; the newest HOUVAST_BACKUP_KEEP stay.
    HOUVAST_BACKUP_DIR = _setting("HOUVAST_BACKUP_DIR")
    HOUVAST_BACKUP_KEEP = _number("HOUVAST_BACKUP_KEEP", 14, minimum=1)

    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = _number("MAIL_PORT", 25, minimum=1, maximum=65535)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_USE_SSL = _bool("MAIL_USE_SSL")
    MAIL_DEFAULT_SENDER = _setting("MAIL_DEFAULT_SENDER") or "Houvast <houvast@localhost>"
    # A mail server that accepts and then says nothing must not hold the scheduler: each
    # network step of an SMTP connection waits at most MAIL_TIMEOUT seconds, and one delivery
    # run starts no new message after MAIL_RUN_BUDGET seconds (the rest goes next run).
    MAIL_TIMEOUT = _number("HOUVAST_MAIL_TIMEOUT", 10.0, minimum=0.1, kind=float)
    MAIL_RUN_BUDGET = _number("HOUVAST_MAIL_RUN_BUDGET", 60.0, minimum=1, kind=float)

    # Messages to participants (SMS, WhatsApp): "outbox" writes them to <instance>/outbox/
    # (development, demos: nothing leaves the machine); "twilio" sends them through Twilio
    # with the TWILIO_* settings (README, "Berichten aan deelnemers").
    MESSAGE_GATEWAY = (_setting("HOUVAST_MESSAGE_GATEWAY") or "outbox").lower()
    MESSAGE_TIMEOUT = _number("HOUVAST_MESSAGE_TIMEOUT", 10.0, minimum=0.1, kind=float)
    # Twilio (MESSAGE_GATEWAY "twilio"): the account, and the senders per channel (an SMS
    # number or an alphanumeric sender such as "Taalhuis"; the WhatsApp Business number).
    # TWILIO_API_BASE is only changed by the tests (a local server that speaks Twilio's API).
    TWILIO_ACCOUNT_SID = _setting("TWILIO_ACCOUNT_SID")
    TWILIO_AUTH_TOKEN = _setting("TWILIO_AUTH_TOKEN")
    TWILIO_SMS_FROM = _setting("TWILIO_SMS_FROM")
    TWILIO_WHATSAPP_FROM = _setting("TWILIO_WHATSAPP_FROM")
    TWILIO_API_BASE = _base_url("TWILIO_API_BASE") or "https://api.twilio.com"
    # The provider's webhooks (delivery status, answers): requests per address per window.
    MESSAGE_WEBHOOK_RATE_LIMIT = (_number("HOUVAST_MESSAGE_WEBHOOK_RATE_LIMIT", 300,
                                          minimum=1), 60)

    BABEL_DEFAULT_LOCALE = "nl"
    BABEL_DEFAULT_TIMEZONE = "Europe/Amsterdam"

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # The server session ends after 12 hours (app/auth/server_sessions.py, and says so);
    # the signed cookie itself is refused after a day, not Flask's 31 days. The remember
    # cookie is never set.
    PERMANENT_SESSION_LIFETIME = timedelta(hours=24)
    # Secure cookies unless we run the local development server over plain http.
    # (FLASK_DEBUG read as Flask reads it: anything but empty, 0, false or no is on.)
    SESSION_COOKIE_SECURE = not get_debug_flag()
    REMEMBER_COOKIE_SECURE = not get_debug_flag()

    # The scheduler runs inside the web process only when asked (make run); production runs
    # `flask jobs run` as one separate process.
    SCHEDULER_IN_WEB = _bool("HOUVAST_SCHEDULER_IN_WEB")
    # `jobs run` checks that it still holds its PostgreSQL lock before every run and also
    # this often in between; when the lock is gone (database restarted) it exits with 4.
    SCHEDULER_LOCK_CHECK_SECONDS = _number("HOUVAST_SCHEDULER_LOCK_CHECK_SECONDS", 30,
                                           minimum=1)


MESSAGE_GATEWAYS = ("outbox", "twilio")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
# Twilio's alphanumeric sender ID: at most 11 letters, digits and spaces, not only digits.
_ALPHANUMERIC_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")


def check_message_gateway(config) -> None:
    """Stop at start when the chosen message gateway cannot work: better than every message
    to a participant failing, unseen, in the night. `config` is the app's config mapping."""
    gateway = config.get("MESSAGE_GATEWAY") or "outbox"
    if gateway not in MESSAGE_GATEWAYS:
        _stop(f"HOUVAST_MESSAGE_GATEWAY must be one of {', '.join(MESSAGE_GATEWAYS)} "
              f"(got {gateway!r})")
    if gateway != "twilio":
        return
    needed = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "HOUVAST_BASE_URL")
    missing = [name for name in needed if not config.get(name)]
    if not (config.get("TWILIO_SMS_FROM") or config.get("TWILIO_WHATSAPP_FROM")):
        missing.append("TWILIO_SMS_FROM or TWILIO_WHATSAPP_FROM")
    if missing:
        # HOUVAST_BASE_URL: Twilio calls back on it, and signs the address it called.
        _stop(f"HOUVAST_MESSAGE_GATEWAY=twilio needs {', '.join(missing)} (README, "
              "\"Berichten aan deelnemers\")")
    sid = config["TWILIO_ACCOUNT_SID"]
    if not re.fullmatch(r"AC[0-9a-fA-F]{32}", sid):
        _stop(f"TWILIO_ACCOUNT_SID must be the Account SID, AC and 32 characters (got {sid!r})")
    sms_from = config.get("TWILIO_SMS_FROM")
    if sms_from and not (_E164.match(sms_from) or _ALPHANUMERIC_SENDER.match(sms_from)):
        _stop("TWILIO_SMS_FROM must be a number such as +3197010203040 or a name of at most "
              f"11 letters and digits (got {sms_from!r})")
    whatsapp_from = config.get("TWILIO_WHATSAPP_FROM")
    if whatsapp_from and not _E164.match(whatsapp_from):
        _stop(f"TWILIO_WHATSAPP_FROM must be a number such as +3197010203040 (got "
              f"{whatsapp_from!r})")


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"  # noqa: S105 (test-only key)
    WTF_CSRF_ENABLED = False
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    SCHEDULER_IN_WEB = False
    MAIL_SERVER = None
    MESSAGE_GATEWAY = "outbox"
    # Links in the tests' messages are fixed, whatever the environment of the test run.
    HOUVAST_BASE_URL = "http://127.0.0.1:5000"
    PORT = None
    # Cheapest argon2 the library accepts: hashing at production strength made up most of
    # the suite's run time. Never outside tests.
    ARGON2_PARAMETERS = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
