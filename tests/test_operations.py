"""What an operator sees: configuration errors, log lines and where links lead."""

import os
import runpy
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.cli import run_command

from app.core.mail import external_url
from app.extensions import db as _db
from app.notifications.links import tasks_link

from .conftest import make_app

ROOT = Path(__file__).resolve().parent.parent


def _config(monkeypatch, **env):
    """config.Config as a fresh process would read it with these environment variables."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "config.py"))["Config"]


def _environment(**env) -> dict:
    # Only what the test gives: nothing from the environment the suite happens to run in.
    own = ("MAIL_", "HOUVAST_", "FLASK_", "PORT", "DATABASE_URL", "SECRET_KEY")
    environment = {k: v for k, v in os.environ.items() if not k.startswith(own)}
    environment.update(FLASK_DEBUG="0", **env)
    return environment


def _run(args: list[str], **env) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (this interpreter, our own fixed arguments)
        [sys.executable, *args], cwd=ROOT, env=_environment(**env), capture_output=True,
        text=True, timeout=120, check=False)


# --- Bad configuration: one clear line ---------------------------------------------------

# (variable, Config attribute, its default)
NUMBERS = [
    ("MAIL_PORT", "MAIL_PORT", 25),
    ("PORT", "PORT", None),
    ("HOUVAST_PROXY_HOPS", "HOUVAST_PROXY_HOPS", 0),
    ("HOUVAST_PASSWORD_LINK_HOURS", "PASSWORD_LINK_HOURS", 72),
    ("HOUVAST_API_RATE_LIMIT", "API_RATE_LIMIT", (120, 60)),
    ("HOUVAST_SELFREG_RATE_LIMIT", "SELFREG_RATE_LIMIT", (5, 3600)),
    ("HOUVAST_DASHBOARD_TIMEOUT", "DASHBOARD_TIMEOUT", 10.0),
    ("HOUVAST_DASHBOARD_STATEMENT_TIMEOUT", "DASHBOARD_STATEMENT_TIMEOUT", 10.0),
    ("HOUVAST_DB_CONNECT_TIMEOUT", "DB_CONNECT_TIMEOUT", 5),
    ("HOUVAST_DB_STATEMENT_TIMEOUT", "DB_STATEMENT_TIMEOUT", 30.0),
    ("HOUVAST_BACKUP_KEEP", "HOUVAST_BACKUP_KEEP", 14),
]
# (variable, Config attribute)
BOOLEANS = [("MAIL_USE_TLS", "MAIL_USE_TLS"), ("MAIL_USE_SSL", "MAIL_USE_SSL"),
            ("HOUVAST_SCHEDULER_IN_WEB", "SCHEDULER_IN_WEB")]


@pytest.mark.parametrize(("variable", "setting", "default"), NUMBERS)
def test_an_empty_number_setting_takes_its_default(monkeypatch, variable, setting, default):
    # Compose files write `MAIL_PORT=` for "not set".
    assert getattr(_config(monkeypatch, **{variable: ""}), setting) == default
    assert getattr(_config(monkeypatch, **{variable: "  "}), setting) == default


@pytest.mark.parametrize(("variable", "setting", "default"), NUMBERS)
@pytest.mark.parametrize("value", ["abc", "-1", "12 uur", "nan", "inf"])
def test_a_number_setting_that_is_no_usable_number_stops_with_its_name(
        monkeypatch, capsys, variable, setting, default, value):
    with pytest.raises(SystemExit) as stopped:
        _config(monkeypatch, **{variable: value})
    assert stopped.value.code == 3
    message = capsys.readouterr().err
    assert message.startswith(f"Houvast configuration error: {variable} must be a number")
    assert message.endswith(f"(got {value!r})\n") and message.count("\n") == 1


def test_number_settings_are_read_from_the_environment(monkeypatch):
    config = _config(monkeypatch, MAIL_PORT="587", PORT="5821", HOUVAST_PROXY_HOPS="2",
                     HOUVAST_DASHBOARD_TIMEOUT="2.5", HOUVAST_API_RATE_LIMIT="30")
    assert (config.MAIL_PORT, config.PORT, config.HOUVAST_PROXY_HOPS) == (587, 5821, 2)
    assert config.DASHBOARD_TIMEOUT == 2.5 and config.API_RATE_LIMIT == (30, 60)


@pytest.mark.parametrize(("variable", "setting"), BOOLEANS)
def test_a_yes_no_setting_accepts_the_usual_words(monkeypatch, capsys, variable, setting):
    for value in ("1", "true", "Yes", "ON"):
        assert getattr(_config(monkeypatch, **{variable: value}), setting) is True
    for value in ("0", "false", "No", "off", ""):
        assert getattr(_config(monkeypatch, **{variable: value}), setting) is False
    with pytest.raises(SystemExit):
        _config(monkeypatch, **{variable: "misschien"})
    assert capsys.readouterr().err == (
        f"Houvast configuration error: {variable} must be one of 1, true, yes, on, 0, false, "
        "no, off (got 'misschien')\n")


@pytest.mark.parametrize(("variable", "value", "expected"), [
    ("HOUVAST_LOG_LEVEL", "luid", "HOUVAST_LOG_LEVEL must be one of DEBUG, INFO, WARNING"),
    ("HOUVAST_TIMEZONE", "Europe/Utrecht", "HOUVAST_TIMEZONE must be a time zone"),
    ("HOUVAST_BASE_URL", "taalhuis.example", "HOUVAST_BASE_URL must start with http://"),
])
def test_other_settings_that_cannot_be_used_stop_with_their_name(monkeypatch, capsys,
                                                                 variable, value, expected):
    with pytest.raises(SystemExit):
        _config(monkeypatch, **{variable: value})
    assert capsys.readouterr().err.startswith(f"Houvast configuration error: {expected}")


def test_flask_debug_is_read_as_flask_reads_it(monkeypatch):
    # Flask itself takes FLASK_DEBUG=2 as "debug on": so do the cookie settings.
    assert _config(monkeypatch, FLASK_DEBUG="2").SESSION_COOKIE_SECURE is False
    assert _config(monkeypatch, FLASK_DEBUG="0").SESSION_COOKIE_SECURE is True


def test_the_cli_stops_on_a_bad_mail_port_with_one_line_and_no_traceback(tmp_path):
    result = _run(["-m", "flask", "--app", "wsgi", "jobs", "run", "--dry-run"],
                  MAIL_PORT="abc", HOUVAST_INSTANCE_PATH=str(tmp_path))

    assert result.returncode == 3
    assert result.stderr.splitlines() == [
        "Houvast configuration error: MAIL_PORT must be a number from 1 to 65535 (got 'abc')"]
    assert result.stdout == ""


def test_the_cli_runs_with_an_empty_mail_port(tmp_path):
    result = _run(["-m", "flask", "--app", "wsgi", "jobs", "run", "--dry-run"],
                  MAIL_PORT="", HOUVAST_INSTANCE_PATH=str(tmp_path),
                  HOUVAST_BASE_URL="https://taalhuis.example")

    assert result.returncode == 0, result.stderr
    assert "job houvast-deliver" in result.stdout and "Traceback" not in result.stderr


# --- Log lines with debug off ------------------------------------------------------------

_SCHEDULED_DELIVERY = ("from wsgi import app; from jobs.scheduler import make_runner; "
                       "make_runner(app, ('deliver',))()")


def test_a_scheduled_run_logs_its_jobs_line_with_debug_off(app, database_url, tmp_path):
    """The function the scheduler of `flask jobs run` calls, in a production process."""
    result = _run(["-c", _SCHEDULED_DELIVERY], DATABASE_URL=database_url,
                  HOUVAST_INSTANCE_PATH=str(tmp_path))

    assert result.returncode == 0, result.stderr
    assert "jobs: ran deliver, 0 message(s)" in result.stderr


def test_the_log_level_setting_hides_the_jobs_lines(app, database_url, tmp_path):
    result = _run(["-c", _SCHEDULED_DELIVERY], DATABASE_URL=database_url,
                  HOUVAST_INSTANCE_PATH=str(tmp_path), HOUVAST_LOG_LEVEL="warning")

    assert result.returncode == 0, result.stderr
    assert "jobs:" not in result.stderr


# --- Links follow the port ---------------------------------------------------------------

@pytest.fixture
def other_app(database_url, instance_path, app):
    """make(**config): a second app on the test database, as another process would make it."""
    made = []

    def make(**config):
        made.append(make_app(database_url, instance_path, HOUVAST_BASE_URL=None, **config))
        return made[-1]

    yield make
    for served in made:
        with served.app_context():
            _db.engine.dispose()


def _links(served) -> tuple[str, str]:
    with served.app_context():
        return external_url("auth.set_password", token="abc"), tasks_link()


def test_without_base_url_links_lead_to_the_port_of_make_run(other_app):
    # The Makefile passes PORT to `flask seed-demo` and `flask run` (the scheduler's process).
    assert _links(other_app(PORT=5821)) == ("http://127.0.0.1:5821/wachtwoord/abc",
                                            "http://127.0.0.1:5821/taken")


def test_without_base_url_links_lead_to_where_flask_run_serves(other_app):
    args = ["--host", "0.0.0.0", "--port", "5822", "--no-reload"]  # noqa: S104
    with run_command.make_context("run", args):
        served = other_app()
    # Also later, in the scheduler's thread, outside any command or request.
    assert _links(served) == ("http://127.0.0.1:5822/wachtwoord/abc",
                              "http://127.0.0.1:5822/taken")


def test_a_forged_host_header_never_reaches_a_mailed_link(other_app):
    served = other_app(PORT=5821)
    with served.test_request_context("/", base_url="http://attacker.example:8000/"):
        assert external_url("auth.set_password", token="abc") == (
            "http://127.0.0.1:5821/wachtwoord/abc")
        assert tasks_link() == "http://127.0.0.1:5821/taken"


def test_the_base_url_setting_wins_over_the_port(other_app):
    served = other_app(PORT=5821)
    served.config["HOUVAST_BASE_URL"] = "https://taalhuis.example.nl/houvast"
    with served.test_request_context("/", base_url="http://houvast.intern:8000/"):
        assert tasks_link() == "https://taalhuis.example.nl/houvast/taken"


# --- A database that does not answer ---------------------------------------------------------

@pytest.fixture
def silent_database():
    """A TCP server on 127.0.0.1 that accepts connections and never says a word: a frozen
    database as the client sees it. Yields its port."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


def test_healthz_answers_503_within_two_seconds_when_the_database_does_not_answer(
        silent_database, tmp_path):
    app = make_app(f"postgresql+psycopg://houvast@127.0.0.1:{silent_database}/houvast",
                   tmp_path)
    client = app.test_client()

    for _ in range(4):  # also once every check thread is still waiting on the first ones
        started = time.monotonic()
        response = client.get("/healthz")
        assert time.monotonic() - started < 2
        assert response.status_code == 503
        assert response.get_json() == {"status": "error", "database": "not answering"}


def test_a_new_connection_to_a_silent_database_gives_up_after_the_connect_timeout(
        silent_database, tmp_path):
    app = make_app(f"postgresql+psycopg://houvast@127.0.0.1:{silent_database}/houvast",
                   tmp_path, DB_CONNECT_TIMEOUT=2)
    started = time.monotonic()
    with app.app_context(), pytest.raises(sa.exc.OperationalError):
        _db.session.execute(sa.text("SELECT 1"))
    assert time.monotonic() - started < 5


def test_the_database_stops_a_query_after_the_statement_timeout(database_url, tmp_path):
    app = make_app(database_url, tmp_path, DB_STATEMENT_TIMEOUT=0.5, DB_CONNECT_TIMEOUT=3)
    with app.app_context():
        try:
            if _db.engine.dialect.name == "postgresql":
                started = time.monotonic()
                with pytest.raises(sa.exc.OperationalError, match="statement timeout"):
                    _db.session.execute(sa.text("SELECT pg_sleep(5)"))
                assert time.monotonic() - started < 2
            else:
                # SQLite has no server to freeze: its one wait is for a locked file.
                assert _db.session.execute(sa.text("PRAGMA busy_timeout")).scalar() == 3000
        finally:
            _db.session.rollback()
            _db.session.remove()
            _db.engine.dispose()

