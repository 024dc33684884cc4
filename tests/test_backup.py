"""`flask backup` and `flask restore` of a SQLite installation, and the nightly backup."""

import threading
from pathlib import Path

import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler
from flask_migrate import upgrade

from app.auth import security_settings
from app.extensions import db as _db
from app.participants.models import Participant
from jobs.scheduler import build_scheduler

from . import factories
from .conftest import make_app


def _sqlite_app(tmp_path: Path, name: str, **config):
    # Backups are SQLite's (PostgreSQL has pg_dump): each test has its own files, also
    # when the suite runs on PostgreSQL.
    folder = tmp_path / name
    folder.mkdir()
    return make_app(f"sqlite:///{folder / 'houvast.sqlite'}", folder, **config)


def _migrated(app):
    with app.app_context():
        upgrade()
    return app


def _participants() -> set[tuple[int, str]]:
    return set(_db.session.execute(sa.select(Participant.id, Participant.last_name)).all())


def test_a_backup_made_while_the_app_writes_restores_into_a_fresh_instance(tmp_path):
    old = _migrated(_sqlite_app(tmp_path, "old"))
    with old.app_context():
        admin = factories.user(role="admin", email="beheer@bieb.example")
        trajectory = factories.trajectory(factories.participant(last_name="Yilmaz"))
        # A new installation requires two factors for admins (issue 19); this test signs in
        # with the password alone to see the restored data.
        security_settings.save("two_factor_admin", 0, None)
        _db.session.commit()
        participant_id, admin_email = trajectory.participant_id, admin.email

    stop, written = threading.Event(), []

    def keep_writing():
        with old.app_context():
            while not stop.is_set():
                factories.participant(last_name=f"Schrijver {len(written)}")
                _db.session.commit()
                written.append(1)
            _db.session.remove()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        results = [old.test_cli_runner().invoke(args=["backup", str(tmp_path / "backups"),
                                                      "--keep", "2"]) for _ in range(3)]
    finally:
        stop.set()
        writer.join()
    assert [r.exit_code for r in results] == [0, 0, 0], results[0].output
    copies = sorted((tmp_path / "backups").iterdir())
    assert len(copies) == 2 and all(c.suffix == ".sqlite" for c in copies)  # the newest two
    assert written, "the writer never wrote during the backups"

    new = _sqlite_app(tmp_path, "new")  # a fresh instance: not even migrated
    result = new.test_cli_runner().invoke(args=["restore", str(copies[-1])])
    assert result.exit_code == 0, result.output

    with new.app_context():
        restored = _participants()
    with old.app_context():
        at_end = _participants()
    # Consistent: every restored participant is one the old instance has; none half-written.
    assert (participant_id, "Yilmaz") in restored and restored <= at_end
    client = new.test_client()
    assert client.post("/inloggen", data={"email": admin_email,
                                          "password": factories.PASSWORD}).status_code == 302
    page = client.get(f"/deelnemers/{participant_id}")
    assert page.status_code == 200 and "Yilmaz" in page.get_data(as_text=True)


def test_restore_refuses_an_instance_that_has_data(tmp_path):
    source = _migrated(_sqlite_app(tmp_path, "source"))
    assert source.test_cli_runner().invoke(args=["backup", str(tmp_path / "b")]).exit_code == 0
    busy = _migrated(_sqlite_app(tmp_path, "busy"))
    with busy.app_context():
        factories.participant(last_name="Bestaat")
        _db.session.commit()

    result = busy.test_cli_runner().invoke(
        args=["restore", str(next((tmp_path / "b").iterdir()))])

    assert result.exit_code == 1
    assert "Deze installatie heeft al gegevens" in result.output
    with busy.app_context():
        assert {name for _id, name in _participants()} == {"Bestaat"}


def test_restore_refuses_a_file_that_is_no_backup(tmp_path):
    fresh = _sqlite_app(tmp_path, "fresh")
    junk = tmp_path / "junk.sqlite"
    junk.write_text("geen database")
    result = fresh.test_cli_runner().invoke(args=["restore", str(junk)])
    assert result.exit_code == 1 and "geen bruikbare Houvast-backup" in result.output


def test_on_postgresql_backup_and_restore_point_to_pg_dump_and_pg_restore(tmp_path):
    app = make_app("postgresql+psycopg://nobody@127.0.0.1:1/none", tmp_path)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["backup", str(tmp_path / "b")])
    assert result.exit_code == 1 and "pg_dump" in result.output
    result = runner.invoke(args=["restore", str(tmp_path / "houvast.dump")])
    assert result.exit_code == 1 and "pg_restore" in result.output


def test_the_scheduler_backs_up_every_night_when_a_backup_folder_is_set(tmp_path):
    without = _sqlite_app(tmp_path, "without")
    assert "houvast-backup" not in {
        job.id for job in build_scheduler(without, BackgroundScheduler).get_jobs()}

    app = _migrated(_sqlite_app(tmp_path, "with", HOUVAST_BACKUP_DIR=str(tmp_path / "nacht"),
                                HOUVAST_BACKUP_KEEP=1))
    job = build_scheduler(app, BackgroundScheduler).get_job("houvast-backup")
    assert str(job.trigger.fields[5]) == "1" and str(job.trigger.fields[6]) == "30"
    job.func()
    job.func()
    assert len(list((tmp_path / "nacht").iterdir())) == 1  # keeps HOUVAST_BACKUP_KEEP
