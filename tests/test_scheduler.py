"""`flask jobs tick` / `flask jobs run`, the APScheduler wiring and several processes at once."""

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import time_machine
from apscheduler.schedulers.background import BackgroundScheduler

from app.core.timeutil import to_utc
from app.extensions import db as _db
from app.notifications.models import Notification
from app.notifications.service import LOCK_KEYS
from jobs import scheduler as scheduler_module
from jobs.scheduler import build_scheduler, start_in_web_process

from . import factories

ROOT = Path(__file__).resolve().parent.parent
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
MONDAY = date(2026, 11, 23)


def _work(coordinators: int = 2, today: date = MONDAY):
    """Coordinators with an overdue check-in each, and a volunteer with one due today."""
    loc = factories.location()
    users = []
    for i in range(coordinators):
        coord = factories.user("coordinator", locations=[loc], email=f"coord{i}@taalhuis.example")
        t = factories.trajectory(factories.participant(f"Deelnemer{i}"), location_obj=loc,
                                 owner=coord, status="active", with_referral=False,
                                 last_contact_at=to_utc(date(2026, 11, 16), 10))
        factories.checkin(t, due_on=today - timedelta(days=2), assignee=coord)
        users.append(coord)
    volunteer = factories.user("volunteer", email="maatje@vrijwilliger.example")
    factories.checkin(t, due_on=today, assignee=volunteer, rule_code="match_2w_volunteer")
    users.append(volunteer)
    _db.session.commit()
    return users


def _sent_ledger() -> list[tuple[str, str, str]]:
    _db.session.expire_all()
    return [tuple(row) for row in _db.session.execute(
        sa.select(Notification.kind, Notification.email, Notification.status)
        .where(Notification.channel == "email").order_by(Notification.email)
    )]


# --- flask jobs tick ----------------------------------------------------------------------------

def test_tick_twice_sends_each_message_once(runner, db, smtp_server):
    _work()

    first = runner.invoke(args=["jobs", "tick", "--at", "2026-11-23T07:00"])
    second = runner.invoke(args=["jobs", "tick", "--at", "2026-11-23T07:00"])

    assert first.exit_code == 0, first.output
    assert "tick at 2026-11-23T07:00:00+01:00 (2026-11-23T06:00:00+00:00)" in first.output
    sent = [line for line in first.output.splitlines() if line.startswith("sent:")]
    assert sorted(sent) == [
        "sent: digest → coord0@taalhuis.example: "
        "Houvast: 1 ding voor vandaag (maandag 23 november)",
        "sent: digest → coord1@taalhuis.example: "
        "Houvast: 1 ding voor vandaag (maandag 23 november)",
        "sent: volunteer_reminder → maatje@vrijwilliger.example: "
        "Houvast: 1 ding voor vandaag (maandag 23 november)",
    ]
    assert second.exit_code == 0 and "nothing to send" in second.output
    assert sorted(m["To"] for m in smtp_server.messages) == [
        "coord0@taalhuis.example", "coord1@taalhuis.example", "maatje@vrijwilliger.example"]


def test_tick_reads_a_naive_time_as_amsterdam_time(runner, db):
    _work(coordinators=1, today=date(2026, 3, 30))

    # 06:30 in Amsterdam on the first Monday of summer time is 04:30 UTC: too early.
    early = runner.invoke(args=["jobs", "tick", "--at", "2026-03-30T06:30"])
    assert "(2026-03-30T04:30:00+00:00)" in early.output and "nothing to send" in early.output
    # An aware time is taken as given: 06:30 UTC is 08:30 in Amsterdam.
    late = runner.invoke(args=["jobs", "tick", "--at", "2026-03-30T06:30:00+00:00"])
    assert "tick at 2026-03-30T08:30:00+02:00" in late.output
    assert "sent: digest → coord0@taalhuis.example" in late.output


def test_tick_without_at_uses_the_current_time(runner, db):
    _work(coordinators=1)

    with time_machine.travel(datetime(2026, 11, 24, 6, 5, tzinfo=UTC), tick=False):
        result = runner.invoke(args=["jobs", "tick"])

    assert "tick at 2026-11-24T07:05:00+01:00" in result.output
    assert "(dinsdag 24 november)" in result.output


def test_tick_rejects_a_time_it_cannot_read(runner):
    result = runner.invoke(args=["jobs", "tick", "--at", "maandag om zeven"])
    assert result.exit_code == 2 and "2026-11-23T07:00" in result.output


# --- Several processes --------------------------------------------------------------------------

def _flask_process(database_url: str, instance: Path, smtp_port: int, *args: str,
                   extra_env: dict[str, str] | None = None):
    env = {key: value for key, value in os.environ.items() if not key.startswith("MAIL_")}
    env.update(DATABASE_URL=database_url, HOUVAST_INSTANCE_PATH=str(instance),
               MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp_port), FLASK_DEBUG="0",
               HOUVAST_SCHEDULER_IN_WEB="0", **(extra_env or {}))
    return subprocess.Popen(  # noqa: S603 (our own CLI with fixed arguments)
        [sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _finish(process, timeout: int = 120) -> str:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err
    return out


def test_two_scheduler_processes_send_each_message_once(app, db, database_url, tmp_path,
                                                        smtp_server):
    """PostgreSQL: two real processes tick at the same moment. SQLite is one process by
    design, so there the two ticks run one after the other."""
    users = _work(coordinators=3)
    tick = ("jobs", "tick", "--at", "2026-11-23T07:00")
    if database_url.startswith("postgresql"):
        processes = [_flask_process(database_url, tmp_path / f"p{i}", smtp_server.port, *tick)
                     for i in range(2)]
        outputs = [_finish(p) for p in processes]
    else:
        outputs = [_finish(_flask_process(database_url, tmp_path / f"p{i}", smtp_server.port,
                                          *tick)) for i in range(2)]

    sent_lines = [line for out in outputs for line in out.splitlines() if line.startswith("sent:")]
    assert len(sent_lines) == len(users)
    assert sorted(m["To"] for m in smtp_server.messages) == sorted(u.email for u in users)
    assert [status for _kind, _email, status in _sent_ledger()] == ["sent"] * len(users)


def _read_line(stream, timeout: float = 60) -> str:
    result: list[str] = []
    reader = threading.Thread(target=lambda: result.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return result[0] if result else ""


def test_a_second_scheduler_process_waits_for_the_first(app, db, database_url, tmp_path):
    """`jobs run` holds a lock on PostgreSQL; on SQLite (one process) it starts at once."""
    if not database_url.startswith("postgresql"):
        out = _finish(_flask_process(database_url, tmp_path, 25, "jobs", "run", "--dry-run"))
        assert "job houvast-daily: cron[day_of_week='mon-fri', hour='7', minute='0']" in out
        return
    holder = _db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    key = {"k": LOCK_KEYS["scheduler_process"]}
    holder.execute(sa.text("SELECT pg_advisory_lock(:k)"), key)
    try:
        waiting = _flask_process(database_url, tmp_path, 25, "jobs", "run", "--dry-run")
        assert "waiting" in _read_line(waiting.stderr)
        assert waiting.poll() is None, "it waits as long as the other scheduler runs"
    finally:
        holder.execute(sa.text("SELECT pg_advisory_unlock(:k)"), key)
        holder.close()
    out = _finish(waiting)
    assert "job houvast-hourly: cron[hour='0-1,3-23', minute='15']" in out


def _lock_holders() -> list[int]:
    key = LOCK_KEYS["scheduler_process"]
    with _db.engine.connect() as conn:
        return list(conn.scalars(sa.text(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND classid = :hi AND objid = :lo"), {"hi": key >> 32, "lo": key & 0xFFFFFFFF}))


def _wait_for(predicate, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_a_scheduler_that_lost_its_lock_stops_and_the_other_takes_over(app, db, database_url,
                                                                       tmp_path):
    """PostgreSQL restarted (here: the lock's connection killed from the database side): the
    old scheduler must not go on next to the one that now gets the lock. SQLite has no lock:
    the one scheduler's runs go on as before."""
    if not database_url.startswith("postgresql"):
        lock = scheduler_module.hold_process_lock()
        assert not lock.held and lock.check(app.logger)
        ran = []
        runner = scheduler_module.make_runner(app, ("deliver",), lock, lambda: ran.append("stop"))
        runner()
        assert ran == [] and not lock.lost
        return
    env = {"HOUVAST_SCHEDULER_LOCK_CHECK_SECONDS": "1", "PYTHONUNBUFFERED": "1"}
    first = _flask_process(database_url, tmp_path / "a", 25, "jobs", "run", extra_env=env)
    second = None
    try:
        assert _wait_for(lambda: len(_lock_holders()) == 1)
        [first_pid] = _lock_holders()
        second = _flask_process(database_url, tmp_path / "b", 25, "jobs", "run", extra_env=env)
        assert "waiting" in _read_line(second.stderr)

        with _db.engine.connect() as conn:
            assert conn.scalar(sa.text("SELECT pg_terminate_backend(:p)"), {"p": first_pid})

        _out, err = first.communicate(timeout=30)
        assert first.returncode == 4, "exits non-zero, so it is restarted"
        assert "scheduler lock" in err
        assert _wait_for(lambda: len(_lock_holders()) == 1 and _lock_holders() != [first_pid])
        assert second.poll() is None, "the other scheduler now runs"
    finally:
        for process in (first, second):
            if process is not None:
                if process.poll() is None:
                    process.send_signal(signal.SIGINT)
                process.communicate(timeout=30)
    assert second.returncode == 0


def test_a_sweep_is_skipped_while_another_process_holds_its_lock(app, db, database_url):
    """PostgreSQL: pg_try_advisory_xact_lock; SQLite has one process, so it always runs."""
    from jobs.sweeps import SKIPPED, run_all

    _work(coordinators=1)
    monday = to_utc(MONDAY, 7)
    if not database_url.startswith("postgresql"):
        assert run_all(monday) != [SKIPPED]
        return
    with _db.engine.connect() as other:
        other.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEYS["jobs"]})
        assert run_all(monday) == [SKIPPED]
        assert _sent_ledger() == []
        other.rollback()
    assert len(run_all(monday)) == 2


# --- APScheduler --------------------------------------------------------------------------------

def test_scheduler_has_fixed_jobs_that_catch_up_once(app):
    scheduler = build_scheduler(app, BackgroundScheduler)
    scheduler.start(paused=True)  # the job defaults are applied when it starts
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == {"houvast-daily", "houvast-hourly", "houvast-nightly",
                             "houvast-deliver"}
        for job in jobs.values():
            assert job.coalesce is True and job.max_instances == 1
            assert job.misfire_grace_time == 3600
        # Registering again (a restart) replaces the jobs instead of doubling them.
        for job_id, _names, _cron in scheduler_module.SCHEDULE:
            scheduler.add_job(print, "interval", hours=1, id=job_id, replace_existing=True)
        scheduler.add_job(print, "interval", hours=1, id=scheduler_module.DELIVER_JOB,
                          replace_existing=True)
        assert len(scheduler.get_jobs()) == 4
    finally:
        scheduler.shutdown(wait=False)


def _fire_times(trigger, start: datetime, end: datetime) -> list[datetime]:
    times, previous, now = [], None, start
    while True:
        nxt = trigger.get_next_fire_time(previous, now)
        if nxt is None or nxt > end:
            return times
        times.append(nxt)
        previous, now = nxt, nxt + timedelta(seconds=1)


def test_digest_fires_at_seven_amsterdam_time_across_dst(app):
    scheduler = build_scheduler(app, BackgroundScheduler)
    daily = scheduler.get_job("houvast-daily").trigger

    spring = _fire_times(daily, datetime(2026, 3, 27, 0, 0, tzinfo=AMSTERDAM),
                         datetime(2026, 3, 31, 0, 0, tzinfo=AMSTERDAM))
    autumn = _fire_times(daily, datetime(2026, 10, 23, 0, 0, tzinfo=AMSTERDAM),
                         datetime(2026, 10, 27, 0, 0, tzinfo=AMSTERDAM))

    assert [t.astimezone(UTC) for t in spring] == [
        datetime(2026, 3, 27, 6, 0, tzinfo=UTC), datetime(2026, 3, 30, 5, 0, tzinfo=UTC)]
    assert [t.astimezone(UTC) for t in autumn] == [
        datetime(2026, 10, 23, 5, 0, tzinfo=UTC), datetime(2026, 10, 26, 6, 0, tzinfo=UTC)]


def test_only_delivery_runs_between_two_and_three_and_nothing_twice_on_the_dst_night(app):
    scheduler = build_scheduler(app, BackgroundScheduler)
    start = datetime(2026, 10, 24, 22, 0, tzinfo=UTC)  # the autumn night, 00:00 CEST
    end = start + timedelta(hours=8)

    for job in scheduler.get_jobs():
        if job.id == scheduler_module.DELIVER_JOB:
            continue
        times = _fire_times(job.trigger, start, end)
        utc = [t.astimezone(UTC) for t in times]
        assert len(utc) == len(set(utc)), f"{job.id} fires twice at one moment"
        assert not [t for t in times if t.astimezone(AMSTERDAM).hour == 2], job.id
    hourly = _fire_times(scheduler.get_job("houvast-hourly").trigger, start, end)
    assert [t.astimezone(AMSTERDAM).strftime("%H:%M") for t in hourly] == [
        "00:15", "01:15", "03:15", "04:15", "05:15", "06:15"]


def test_mail_delivery_runs_every_five_minutes_through_the_autumn_dst_hour(app):
    """02:00-03:00 happens twice that night; mail claimed then must not wait two hours."""
    scheduler = build_scheduler(app, BackgroundScheduler)
    start = datetime(2026, 10, 24, 23, 30, tzinfo=UTC)  # 01:30 CEST
    end = datetime(2026, 10, 25, 2, 30, tzinfo=UTC)  # 03:30 CET
    deliver = scheduler.get_job(scheduler_module.DELIVER_JOB).trigger

    utc = [t.astimezone(UTC) for t in _fire_times(deliver, start, end)]

    pauses = {later - earlier for earlier, later in zip(utc[:-1], utc[1:], strict=True)}
    assert pauses == {timedelta(minutes=5)}
    assert utc[0] - start <= timedelta(minutes=5) and end - utc[-1] <= timedelta(minutes=5)
    # Both 02:xx hours (CEST, then CET) have runs.
    assert {t.astimezone(AMSTERDAM).strftime("%H %Z") for t in utc} >= {"02 CEST", "02 CET"}


def test_scheduled_run_catches_up_a_missed_digest(app, db, smtp_server):
    """The hourly job also sends the digest when 07:00 was missed (server started at 9)."""
    _work(coordinators=1)
    hourly = scheduler_module.make_runner(app, dict(
        (job_id, names) for job_id, names, _cron in scheduler_module.SCHEDULE)["houvast-hourly"])

    with time_machine.travel(to_utc(MONDAY, 9, 15), tick=False):
        hourly()
        hourly()

    assert sorted(m["To"] for m in smtp_server.messages) == [
        "coord0@taalhuis.example", "maatje@vrijwilliger.example"]


def test_web_process_starts_the_scheduler_once(app):
    assert start_in_web_process(app) is None, "never during tests"
    app.testing = False
    try:
        first = start_in_web_process(app)
        second = start_in_web_process(app)
        assert first is second and first.running
        assert {job.id for job in first.get_jobs()} == {
            "houvast-daily", "houvast-hourly", "houvast-nightly", "houvast-deliver"}
    finally:
        app.testing = True
        if scheduler_module._web_scheduler is not None:
            scheduler_module._web_scheduler.shutdown(wait=False)
            scheduler_module._web_scheduler = None
