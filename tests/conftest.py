"""Test fixtures: an app on a migrated database (SQLite file, or PostgreSQL through
TEST_DATABASE_URL), a client, per-role login helpers and small factories."""

import contextvars
import os
from contextlib import contextmanager
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine
from flask import has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade

from app import create_app
from app.core import events
from app.extensions import db as _db
from config import TestConfig

from . import factories

# The browser tests' fixtures (live_server, browser, browser_page), for any test that asks.
pytest_plugins = ["tests.browser_support"]

# --- The clock -------------------------------------------------------------------------------
# HOUVAST_TEST_TODAY=2028-12-31 (or 2028-12-31T23:30, local time) runs the whole suite on that
# day, the clock ticking from 10:00 in Amsterdam: a test that leans on today's date without
# saying so fails on some day. A test's own frozen clock still wins (time_machine nests).

def _moved_today() -> datetime | None:
    text = os.environ.get("HOUVAST_TEST_TODAY", "").strip()
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    if "T" not in text and " " not in text:
        moment = datetime.combine(date.fromisoformat(text), time(10, 0))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("Europe/Amsterdam"))
    return moment


@pytest.fixture(scope="session", autouse=True)
def _moved_clock():
    moment = _moved_today()
    if moment is None:
        yield None
        return
    with time_machine.travel(moment, tick=True) as traveller:
        yield traveller


def pytest_report_header(config):
    moment = _moved_today()
    return f"clock moved to {moment.isoformat()} (HOUVAST_TEST_TODAY)" if moment else None


@pytest.fixture
def frozen(request):
    """The clock stands still at the test module's NOW; yields the traveller (`.shift()`)."""
    with time_machine.travel(request.module.NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def count_queries(db):
    """`with count_queries() as statements:` collects every SQL statement sent meanwhile,
    also those of test-client requests (they share the engine, not the session)."""

    @contextmanager
    def counting():
        statements = []

        def before(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield statements
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", before)

    return counting


@pytest.fixture
def emitted():
    """Every trajectory event emitted during the test, as (event, trajectory id, context)."""
    seen = []

    def recorder(event, trajectory, now, **context):
        # The request's session is gone after the request: keep what the tests look at.
        if "match" in context:
            context = {**context, "volunteer_user_id": context["match"].volunteer.user_id}
        seen.append((event, trajectory.id, context))

    events.subscribe(recorder)
    yield seen
    events._subscribers.remove(recorder)


# Tables whose rows come from migrations; every other table is emptied between tests.
KEEP_TABLES = {"alembic_version", "reference_items", "followup_rules"}


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


def make_app(database_url: str, instance_path: Path, **overrides):
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=database_url, **overrides)
    os.environ["HOUVAST_INSTANCE_PATH"] = str(instance_path)
    app = create_app(config)
    app.test_client_class = IsolatedClient
    return app


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    return _database_url(tmp_path_factory)


@pytest.fixture(scope="session")
def instance_path(tmp_path_factory):
    return tmp_path_factory.mktemp("instance")


@pytest.fixture(scope="session")
def _migrated_app(database_url, instance_path):
    """The schema is built by running the migrations, so they are tested too."""
    app = make_app(database_url, instance_path)
    with app.app_context():
        if database_url.startswith("postgresql"):
            # A fresh schema each run, whatever an earlier run left behind.
            with _db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
        # The first test starts as every later one does: rows migrations wrote outside
        # KEEP_TABLES (0019's "two factors required") would otherwise be there for it only.
        _empty_tables()
        _db.session.remove()
    yield app
    with app.app_context():
        _db.engine.dispose()


def _empty_tables() -> None:
    tables = [t for t in reversed(_db.metadata.sorted_tables) if t.name not in KEEP_TABLES]
    if _db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        _db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            _db.session.execute(table.delete())
    _db.session.commit()


@pytest.fixture
def app(_migrated_app):
    with _migrated_app.app_context():
        yield _migrated_app
        _db.session.rollback()
        _empty_tables()
        _db.session.remove()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, user_or_email, password: str = factories.PASSWORD):
        email = getattr(user_or_email, "email", user_or_email)
        return self._client.post("/inloggen", data={"email": email, "password": password})

    def logout(self):
        # Followed to the sign-in page: a sign-out that did not happen (a session the clock
        # of the test had made stale) would leave the next sign-in silently undone.
        response = self._client.post("/uitloggen", follow_redirects=True)
        assert "U bent uitgelogd." in response.get_data(as_text=True), "sign-out failed"
        return response

    def as_role(self, role: str, **kwargs):
        """Create a user with `role` (in a fresh location unless given) and sign in."""
        user = factories.user(role=role, **kwargs)
        _db.session.commit()
        response = self.login(user)
        assert response.status_code == 302, "sign-in failed in test set-up"
        return user

    def audit_log(self, participant_id: int | None = None) -> str:
        """The audit log page (of one participant) as a new admin sees it; signs out first."""
        self.logout()
        self.as_role("admin")
        query = f"?deelnemer={participant_id}" if participant_id else ""
        return self._client.get(f"/logboek/{query}").get_data(as_text=True)


@pytest.fixture
def auth(client):
    return AuthActions(client)


# --- One seeded demo database for the whole session ----------------------------------------
# `flask seed-demo` takes seconds; the tests that need its data share one run. The first such
# test seeds (on the configured database, SQLite or PostgreSQL), every later one gets the same
# rows put back into its emptied tables.

DEMO_NOW = "2026-11-20T09:00"
_DEMO: dict = {}


def _seeded_tables():
    return [t for t in _db.metadata.sorted_tables if t.name not in KEEP_TABLES]


def _restore_demo_rows() -> None:
    for table in _seeded_tables():
        rows = _DEMO["rows"][table.name]
        if not rows:
            continue
        _db.session.execute(table.insert(), rows)
        pk = list(table.primary_key.columns)
        if (_db.engine.dialect.name == "postgresql" and len(pk) == 1
                and isinstance(pk[0].type, sa.Integer)):
            # Explicit ids leave the sequence behind: the test's own inserts would collide.
            _db.session.execute(
                sa.text("SELECT setval(pg_get_serial_sequence(:t, :c), :v)"),
                {"t": f'"{table.name}"', "c": pk[0].name,
                 "v": max(row[pk[0].name] for row in rows)})
    _db.session.commit()


class DemoData:
    """What `flask seed-demo --now DEMO_NOW` printed (with a fresh password: no
    HOUVAST_DEMO_PASSWORD) and left in the database."""

    def __init__(self, output: str):
        self.output = output
        self.password = output.strip().splitlines()[-1].removeprefix("password: ")


@pytest.fixture
def demo_data(app, runner, monkeypatch):
    if not _DEMO:
        monkeypatch.delenv("HOUVAST_DEMO_PASSWORD", raising=False)
        result = runner.invoke(args=["seed-demo", "--now", DEMO_NOW])
        assert result.exit_code == 0, result.output
        _DEMO["output"] = result.output
        _DEMO["rows"] = {t.name: _kept_rows(t) for t in _seeded_tables()}
        _db.session.commit()
    else:
        _restore_demo_rows()
    return DemoData(_DEMO["output"])


# --- A real SMTP server for mail tests (aiosmtpd on a free loopback port) -----------------

def free_port() -> int:
    """A loopback TCP port nothing listens on right now."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SMTPRecorder:
    """Collects what an aiosmtpd server received, as parsed messages.

    Each item of `.messages` is an `email.message.EmailMessage` with two extra attributes:
    `envelope_from` and `envelope_to` (the SMTP envelope, which can differ from the headers).
    """

    def __init__(self):
        self.messages = []
        self.host = "127.0.0.1"
        self.port = None
        self._controller = None

    def start(self):
        """Start the server on `port`; after `stop()` this brings it back (outage over)."""
        from aiosmtpd.controller import Controller

        # A stopped controller has closed its event loop: every start needs a new one.
        self._controller = Controller(self, hostname=self.host, port=self.port)
        self._controller.start()

    def stop(self):
        """Take the server down: connections are refused until `start()`."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd hook name)
        from email import message_from_bytes
        from email import policy as email_policy

        msg = message_from_bytes(envelope.original_content or envelope.content,
                                 policy=email_policy.default)
        msg.envelope_from = envelope.mail_from
        msg.envelope_to = list(envelope.rcpt_tos)
        self.messages.append(msg)
        return "250 Message accepted for delivery"

    @staticmethod
    def body(msg, subtype: str = "plain") -> str:
        """The text of the plain (or html) part of a received message."""
        part = msg.get_body(preferencelist=(subtype,))
        return part.get_content() if part is not None else ""


@pytest.fixture
def smtp_server(app):
    """A real SMTP server on 127.0.0.1; app.config points at it for the duration of a test.

    `smtp_server.stop()` and `.start()` take it down and bring it back on the same port.
    """
    recorder = SMTPRecorder()
    recorder.port = free_port()
    recorder.start()
    keys = ("MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USE_SSL", "MAIL_USERNAME",
            "MAIL_PASSWORD")
    saved = {key: app.config.get(key) for key in keys}
    app.config.update(MAIL_SERVER=recorder.host, MAIL_PORT=recorder.port, MAIL_USE_TLS=False,
                      MAIL_USE_SSL=False, MAIL_USERNAME=None, MAIL_PASSWORD=None)
    try:
        yield recorder
    finally:
        app.config.update(saved)
        recorder.stop()


# --- Every request has its own app context and database session, as in production ------
# The `app` fixture keeps an app context open for the test's own factories and checks. Flask
# would reuse it for test-client requests, so a view would share the test's `db.session` (and
# `g`): a view that forgot to commit would still look right. Each request therefore runs in
# an empty contextvars context, where Flask pushes a fresh app context with a fresh session
# that is removed (rolled back) when the request ends, exactly as under a real server.

class IsolatedClient(FlaskClient):
    def open(self, *args, **kwargs):
        if has_app_context():
            # Ends the test's own transaction: its data is visible to the request, SQLite's
            # file lock is free for the request's writes, and every object is expired, so what
            # the test reads next comes from the database, as the request left it.
            _db.session.commit()
        return contextvars.Context().run(super().open, *args, **kwargs)


# --- Rows made by migrations stay as migrated ---------------------------------------------
# KEEP_TABLES survive between tests, so a test that renames or switches off a reference item
# (or posts to every admin route) would change what later tests see. After each test the
# kept rows are put back exactly as the migrations made them, when they changed.

_KEPT_SNAPSHOT: dict[str, list[dict]] = {}


def _kept_tables():
    return [t for t in _db.metadata.sorted_tables
            if t.name in KEEP_TABLES and t.name != "alembic_version"]


def _kept_rows(table) -> list[dict]:
    query = sa.select(table).order_by(*table.primary_key.columns)
    return [dict(row._mapping) for row in _db.session.execute(query)]


@pytest.fixture(autouse=True)
def _kept_rows_as_migrated(request):
    if "_migrated_app" not in request.fixturenames:
        yield
        return
    migrated = request.getfixturevalue("_migrated_app")
    if not _KEPT_SNAPSHOT:
        with migrated.app_context():
            for table in _kept_tables():
                _KEPT_SNAPSHOT[table.name] = _kept_rows(table)
            _db.session.remove()
    yield
    with migrated.app_context():
        _db.session.rollback()
        for table in _kept_tables():
            if _kept_rows(table) != _KEPT_SNAPSHOT[table.name]:
                _db.session.execute(table.delete())
                if _KEPT_SNAPSHOT[table.name]:
                    _db.session.execute(table.insert(), _KEPT_SNAPSHOT[table.name])
        _db.session.commit()
        _db.session.remove()
