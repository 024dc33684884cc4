"""Configuration from environment variables (DESIGN.md, "Stable interfaces")."""

import os


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


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

    HOUVAST_TIMEZONE = os.environ.get("HOUVAST_TIMEZONE", "Europe/Amsterdam")
    HOUVAST_BASE_URL = os.environ.get("HOUVAST_BASE_URL", "http://127.0.0.1:5000")
    # How many proxies (load balancer, nginx) stand in front of gunicorn. Only then are their
    # X-Forwarded-For/-Proto headers believed: the rate limit of the public form and the audit
    # log need the visitor's address, not the proxy's. 0: no proxy, headers ignored (a
    # visitor could otherwise choose their own address).
    HOUVAST_PROXY_HOPS = int(os.environ.get("HOUVAST_PROXY_HOPS", "0"))
    # Follow-up default: first contact within this many working days after a referral.
    FIRST_CONTACT_WORKING_DAYS = 5
    # After this many failed attempts a referral counts as "niet bereikt".
    MAX_CONTACT_ATTEMPTS = 3
    # A VOG (certificate of conduct) older than this many years no longer counts for matching.
    VOG_MAX_AGE_YEARS = int(os.environ.get("HOUVAST_VOG_MAX_AGE_YEARS", "3"))
    PASSWORD_LINK_HOURS = int(os.environ.get("HOUVAST_PASSWORD_LINK_HOURS", "72"))
    PER_PAGE = 25
    # Partner API: requests per token per window (seconds); the public "Aanmelden" form:
    # submissions per address per window. Counted in the database (several web processes).
    API_RATE_LIMIT = (int(os.environ.get("HOUVAST_API_RATE_LIMIT", "120")), 60)
    SELFREG_RATE_LIMIT = (int(os.environ.get("HOUVAST_SELFREG_RATE_LIMIT", "5")), 3600)

    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_USE_SSL = _bool("MAIL_USE_SSL")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Houvast <houvast@localhost>")

    BABEL_DEFAULT_LOCALE = "nl"
    BABEL_DEFAULT_TIMEZONE = "Europe/Amsterdam"

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # Secure cookies unless we run the local development server over plain http.
    SESSION_COOKIE_SECURE = not _bool("FLASK_DEBUG")
    REMEMBER_COOKIE_SECURE = not _bool("FLASK_DEBUG")

    # The scheduler runs inside the web process only when asked (make run); production runs
    # `flask jobs run` as one separate process.
    SCHEDULER_IN_WEB = _bool("HOUVAST_SCHEDULER_IN_WEB")


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"  # noqa: S105 (test-only key)
    WTF_CSRF_ENABLED = False
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    SCHEDULER_IN_WEB = False
    MAIL_SERVER = None
    # Cheapest argon2 the library accepts: hashing at production strength made up most of
    # the suite's run time. Never outside tests.
    ARGON2_PARAMETERS = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
