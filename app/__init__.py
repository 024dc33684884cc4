"""Houvast: intake and follow-up for the Taalhuis."""

import contextlib
import os
import secrets
import tempfile
from importlib import import_module
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app import models  # noqa: F401  (registers every table with the metadata)
from app.auth.session import configure_login
from app.core import limits, security_headers, templating
from app.core.logs import configure_logging
from app.core.private_files import private_folder, private_sqlite_file
from app.core.urls import served_address
from app.extensions import babel, csrf, db, migrate
from app.main import errors
from config import Config, check_message_gateway

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: type | dict | None = None) -> Flask:
    """App factory. `config` is a config class or a dict of overrides (tests use both)."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("HOUVAST_INSTANCE_PATH", str(ROOT / "instance")),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    if isinstance(config, dict):
        app.config.from_object(Config)
        app.config.update(config)
    else:
        app.config.from_object(config or Config)
    check_message_gateway(app.config)
    # The database file, the secret key and the outbox live here: for the owner only.
    private_folder(Path(app.instance_path))
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(Path(app.instance_path))
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = (
            f"sqlite:///{Path(app.instance_path) / 'houvast.sqlite'}"
        )
    private_sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"], Path(app.instance_path))

    register_database_timeouts(app)
    register_logging(app)
    if "HOUVAST_SERVED_AT" not in app.config:
        app.config["HOUVAST_SERVED_AT"] = served_address(app.config)
    register_proxy_fix(app)
    # Before the blueprints: the bounded "int" converter must be there when routes are added.
    limits.register(app)
    register_extensions(app)
    register_blueprints(app)
    register_hooks()
    register_errorhandlers(app)
    security_headers.register(app)
    register_template_helpers(app)
    register_commands(app)
    if app.config.get("SCHEDULER_IN_WEB"):
        # Imported here: jobs import the app package, which would import them back.
        from jobs.scheduler import start_in_web_process

        start_in_web_process(app)
    return app


def _instance_secret_key(instance: Path) -> str:
    """The key in the instance folder, made by whichever worker of a fresh instance comes
    first; every other worker reads that one (different keys would sign each other out)."""
    key_file = instance / "secret_key"
    if not key_file.exists():
        # Written in full under a name of its own, then linked into place: the link fails
        # when another worker was first, and nobody ever reads a half-written key.
        # mkstemp makes the file with mode 0600 (owner only), and the link keeps it.
        fd, draft = tempfile.mkstemp(dir=instance, prefix=".secret_key.")
        try:
            with os.fdopen(fd, "w") as file:
                file.write(secrets.token_urlsafe(48))
            with contextlib.suppress(FileExistsError):
                os.link(draft, key_file)
        finally:
            os.unlink(draft)
    return key_file.read_text().strip()


def register_database_timeouts(app: Flask) -> None:
    """Bound the wait for a connection and (PostgreSQL) for any one query, so a database
    that accepts but does not answer shows up as an error instead of a hung worker."""
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = dict(options.get("connect_args") or {})
    connect = int(app.config.get("DB_CONNECT_TIMEOUT") or 5)
    statement_ms = int(float(app.config.get("DB_STATEMENT_TIMEOUT") or 0) * 1000)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("postgresql"):
        connect_args.setdefault("connect_timeout", connect)
        if statement_ms:
            connect_args.setdefault("options", f"-c statement_timeout={statement_ms}")
    elif url.startswith("sqlite"):
        # SQLite has no server to wait for; its wait is for a file another process locked.
        connect_args.setdefault("timeout", connect)
    options["connect_args"] = connect_args
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def register_logging(app: Flask) -> None:
    configure_logging(app)


def register_proxy_fix(app: Flask) -> None:
    """Behind HOUVAST_PROXY_HOPS trusted proxies, take the client's address and scheme from
    their X-Forwarded-* headers (one entry per hop, counted from the right)."""
    hops = int(app.config.get("HOUVAST_PROXY_HOPS") or 0)
    if hops <= 0:
        return
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True,
                     compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=lambda: "nl")
    configure_login(app)


FEATURES = ("main", "auth", "admin", "audit", "partners", "participants", "referrals",
            "intakes", "volunteers", "matching", "groups", "checkins", "notifications",
            "reports", "portal", "api", "selfreg", "appointments", "messaging", "privacy")


def register_blueprints(app: Flask) -> None:
    # Each feature package holds its blueprint; importing its views attaches the routes.
    for name in FEATURES:
        package = import_module(f"app.{name}")
        import_module(f"app.{name}.views")
        app.register_blueprint(package.bp)


def register_hooks() -> None:
    """Connect each feature's hooks (event subscribers, digest sections, participant-page
    providers, demo-data steps) from its package's `connect_hooks()`.

    The registries are per process and ignore a hook they already hold, so the many apps of
    a test run each find every hook exactly once. Feature order is hook order where two
    hooks rank the same (digest sections of equal `order`, subscribers of one event).
    """
    for name in FEATURES:
        connect = getattr(import_module(f"app.{name}"), "connect_hooks", None)
        if connect is not None:
            connect()


def register_errorhandlers(app: Flask) -> None:
    errors.register(app)


def register_template_helpers(app: Flask) -> None:
    templating.register(app)


def register_commands(app: Flask) -> None:
    # Imported here: the commands import the jobs, which import the app package.
    from app import cli

    cli.register(app)
