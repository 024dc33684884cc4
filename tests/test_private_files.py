"""Files with personal data are readable by the owner only: the SQLite database, the secret
key, the outbox of mails and messages, the backups, and the folders they live in.

Each test runs under umask 000, the most open a service manager could hand the app: the
modes must come from the app itself, not from a careful shell.
"""

import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask_migrate import upgrade

from app.core.backup import backup
from app.core.mail import build_message, send_message
from app.core.private_files import private_sqlite_file, sqlite_file
from app.extensions import db as _db
from app.messaging.gateway import OutboxGateway, OutgoingMessage

from . import factories
from .conftest import make_app

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _owner_only(path: Path) -> bool:
    return _mode(path) & 0o077 == 0


@pytest.fixture
def open_umask():
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.fixture
def fresh_instance(tmp_path, monkeypatch, open_umask):
    """An app on a brand-new instance folder: its own SQLite file and secret key, made by
    create_app as on a first start."""
    instance = tmp_path / "instance"
    # make_app points HOUVAST_INSTANCE_PATH here; monkeypatch puts the old value back.
    monkeypatch.setenv("HOUVAST_INSTANCE_PATH", str(instance))
    app = make_app(None, instance, SECRET_KEY=None, MAIL_SERVER=None,
                   MESSAGE_GATEWAY="outbox")
    yield app, instance
    with app.app_context():
        _db.engine.dispose()


def test_a_fresh_instance_folder_secret_key_and_database_are_for_the_owner_only(
        fresh_instance):
    app, instance = fresh_instance
    assert _mode(instance) == 0o700
    assert _owner_only(instance / "secret_key")
    database = instance / "houvast.sqlite"
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith(str(database))
    # As `flask db upgrade` on a first start, then a write (SQLite's journal comes and goes).
    with app.app_context():
        upgrade()
        factories.participant(first_name="Privé")
        _db.session.commit()
    assert _owner_only(database)
    for path in instance.iterdir():
        assert _owner_only(path), f"{path.name} is {oct(_mode(path))}"


def test_an_instance_folder_others_could_enter_is_closed_on_start(tmp_path, monkeypatch,
                                                                   open_umask):
    # Made by an older version, or by hand with a common umask.
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    monkeypatch.setenv("HOUVAST_INSTANCE_PATH", str(instance))
    make_app(f"sqlite:///{tmp_path / 'elsewhere.sqlite'}", instance)
    assert _mode(instance) == 0o700


def test_a_sqlite_database_named_by_url_is_created_for_the_owner_only(tmp_path, open_umask):
    path = tmp_path / "data" / "houvast.sqlite"
    path.parent.mkdir()
    assert private_sqlite_file(f"sqlite:///{path}", tmp_path / "instance") == path
    assert path.stat().st_size == 0 and _owner_only(path)
    # An existing database is not touched: an admin may have chosen its mode.
    path.chmod(0o640)
    private_sqlite_file(f"sqlite:///{path}", tmp_path / "instance")
    assert _mode(path) == 0o640


def test_a_relative_sqlite_path_is_in_the_instance_folder_as_flask_sqlalchemy_reads_it(
        tmp_path, monkeypatch, open_umask):
    instance = tmp_path / "instance"
    monkeypatch.setenv("HOUVAST_INSTANCE_PATH", str(instance))
    monkeypatch.chdir(tmp_path)
    app = make_app("sqlite:///eigen.sqlite", instance)
    with app.app_context():
        assert _db.engine.url.database == str(instance / "eigen.sqlite")
        upgrade()
        _db.engine.dispose()
    assert _owner_only(instance / "eigen.sqlite")
    assert not (tmp_path / "eigen.sqlite").exists()


def test_only_sqlite_files_are_made_ahead(tmp_path):
    assert sqlite_file("sqlite://", tmp_path) is None
    assert sqlite_file("sqlite:///:memory:", tmp_path) is None
    assert sqlite_file("sqlite:///file:houvast.sqlite?uri=true", tmp_path) is None
    assert sqlite_file("postgresql+psycopg://postgres@127.0.0.1:5432/houvast", tmp_path) is None
    assert sqlite_file("sqlite:////var/lib/houvast/houvast.sqlite", tmp_path) == Path(
        "/var/lib/houvast/houvast.sqlite")


def test_mails_in_the_outbox_are_for_the_owner_only(fresh_instance):
    app, instance = fresh_instance
    with app.app_context():
        send_message(build_message("deelnemer@example.org", "Uw afspraak", "Tot dinsdag."))
    outbox = instance / "outbox"
    assert _mode(outbox) == 0o700
    (mail,) = outbox.glob("*.eml")
    assert _owner_only(mail)
    assert "Tot dinsdag." in mail.read_text()


def test_messages_in_the_outbox_are_for_the_owner_only(fresh_instance):
    app, instance = fresh_instance
    with app.app_context():
        OutboxGateway().send(OutgoingMessage(channel="sms", to="+31612345678",
                                             body="Tot dinsdag.", reference="test-1"))
    outbox = instance / "outbox"
    assert _mode(outbox) == 0o700
    (message,) = outbox.glob("*.sms.json")
    assert _owner_only(message)
    assert "+31612345678" in message.read_text()


def test_an_outbox_others_could_enter_is_closed_when_the_next_message_is_written(
        fresh_instance):
    app, instance = fresh_instance
    (instance / "outbox").mkdir(mode=0o755)
    with app.app_context():
        OutboxGateway().send(OutgoingMessage(channel="sms", to="+31612345678",
                                             body="Hallo", reference="test-2"))
    assert _mode(instance / "outbox") == 0o700


def test_backups_and_a_new_backup_folder_are_for_the_owner_only(fresh_instance, tmp_path):
    app, _instance = fresh_instance
    folder = tmp_path / "backups"
    with app.app_context():
        upgrade()
        factories.participant(first_name="Privé")
        _db.session.commit()
        first = backup(folder, keep=3, now=NOW)
        second = backup(folder, keep=3, now=NOW)
    assert _mode(folder) == 0o700
    assert first != second
    for copy in (first, second):
        assert _owner_only(copy)
    assert sorted(p.name for p in folder.iterdir()) == sorted([first.name, second.name])


def test_a_backup_folder_the_admin_shares_keeps_its_mode_but_not_its_copies(
        fresh_instance, tmp_path):
    app, _instance = fresh_instance
    folder = tmp_path / "shared-backups"
    folder.mkdir(mode=0o750)
    with app.app_context():
        upgrade()
        copy = backup(folder, keep=3, now=NOW)
    assert _mode(folder) == 0o750
    assert _owner_only(copy)
