"""APScheduler wiring: a few fixed sweeper jobs; the database is the only source of truth.

APScheduler 3 cannot share a job store between processes, so the store is in memory and the
jobs are registered at start with stable ids. Production runs one `flask jobs run` process
(guarded by a PostgreSQL advisory lock); development runs the same jobs in the web process.
Every job decides from the database what is due and claims it in the ledger, so a missed
run is caught up by the next one and a doubled run sends nothing twice.
"""

import atexit
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from app.core.backup import backup
from app.core.timeutil import utcnow
from app.extensions import db
from app.notifications.service import LOCK_KEYS
from jobs.sweeps import run_jobs

# No cron rule is planned between 02:00 and 03:00 local time: on the autumn DST night that
# hour happens twice, and APScheduler's cron rules in it fire twice (or loop back). Mail
# delivery must not pause for that hour, so it runs on an interval (counted in real time,
# blind to the wall clock) instead of a cron rule.
HOURS = "0-1,3-23"
DELIVER_EVERY_MINUTES = 5

# (id, job names run in order, cron trigger arguments)
SCHEDULE = (
    # The daily mail, on time at 07:00 (the jobs themselves skip Dutch public holidays).
    ("houvast-daily", ("out_of_view_scan", "participant_messages", "daily_digest",
                       "volunteer_reminders", "volunteer_silence", "referrer_signals",
                       "deliver"),
     {"day_of_week": "mon-fri", "hour": 7, "minute": 0}),
    # Flags and alerts; also catches up a digest that was missed at 07:00 (server down).
    ("houvast-hourly", ("out_of_view_scan", "participant_messages", "daily_digest",
                        "volunteer_reminders", "volunteer_silence", "referrer_signals",
                        "deliver"),
     {"hour": HOURS, "minute": 15}),
    # Retention: anonymise and clean up once a night, in a quiet hour outside the DST hour.
    ("houvast-nightly", ("retention",), {"hour": 3, "minute": 30}),
)
# Pending mail and retries of mail that could not be sent, every 5 minutes, day and night.
DELIVER_JOB = "houvast-deliver"
LOCK_CHECK_JOB = "houvast-lock-check"

JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}


def make_runner(app, names: tuple[str, ...], lock: "ProcessLock | None" = None,
                on_lock_lost: Callable[[], None] | None = None) -> Callable[[], None]:
    def run() -> None:
        if lock is not None and not lock.check(app.logger):
            if on_lock_lost is not None:
                on_lock_lost()
            return
        if not names:
            return  # the lock check alone

        with app.app_context():
            try:
                lines = run_jobs(utcnow(), names)
                for line in lines:
                    app.logger.info("jobs: %s", line)
                # Also when nothing was due: the operator sees that the scheduler is alive.
                app.logger.info("jobs: ran %s, %d message(s)", ", ".join(names), len(lines))
            except Exception:
                db.session.rollback()
                app.logger.exception("scheduled jobs %s failed; the next run tries again", names)
            finally:
                db.session.remove()

    return run


# The nightly backup (SQLite, HOUVAST_BACKUP_DIR set): a quiet hour, outside the DST hour.
BACKUP_AT = {"hour": 1, "minute": 30}


def make_backup_runner(app) -> Callable[[], None]:
    def run() -> None:
        with app.app_context():
            try:
                written = backup(Path(app.config["HOUVAST_BACKUP_DIR"]), now=utcnow(),
                                 keep=app.config["HOUVAST_BACKUP_KEEP"])
                app.logger.info("jobs: backup written to %s", written)
            except Exception:
                app.logger.exception("backup failed; the next night tries again")
            finally:
                db.session.remove()

    return run


def build_scheduler(app, scheduler_class, lock: "ProcessLock | None" = None):
    """The scheduler with its jobs; with `lock` (the `jobs run` process), every run first
    checks that the lock is still held and stops the scheduler when it is not."""
    tz = ZoneInfo(app.config.get("HOUVAST_TIMEZONE", "Europe/Amsterdam"))
    scheduler = scheduler_class(
        jobstores={"default": MemoryJobStore()},
        # One worker: the jobs of one process never overlap each other.
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        job_defaults=JOB_DEFAULTS,
        timezone=tz,
    )

    def stop() -> None:
        scheduler.shutdown(wait=False)

    def runner(names):
        return make_runner(app, names, lock, stop)

    for job_id, names, cron in SCHEDULE:
        scheduler.add_job(runner(names), CronTrigger(timezone=tz, **cron),
                          id=job_id, name=job_id, replace_existing=True)
    if lock is not None and lock.held:
        # Also between runs, so a lost lock is noticed within seconds, not at the next run.
        scheduler.add_job(runner(()), IntervalTrigger(
            seconds=app.config.get("SCHEDULER_LOCK_CHECK_SECONDS", 30), timezone=tz),
            id=LOCK_CHECK_JOB, name=LOCK_CHECK_JOB, replace_existing=True)
    scheduler.add_job(runner(("deliver",)),
                      # Anchored on a round moment: runs at :00, :05, ... as the cron did.
                      IntervalTrigger(minutes=DELIVER_EVERY_MINUTES, timezone=tz,
                                      start_date=datetime(2000, 1, 1, tzinfo=UTC)),
                      id=DELIVER_JOB, name=DELIVER_JOB, replace_existing=True)
    if app.config.get("HOUVAST_BACKUP_DIR"):
        scheduler.add_job(make_backup_runner(app), CronTrigger(timezone=tz, **BACKUP_AT),
                          id="houvast-backup", name="houvast-backup", replace_existing=True)
    return scheduler


class ProcessLock:
    """A session-level PostgreSQL advisory lock, held on its own connection until released.

    A database restart (or pg_terminate_backend) ends that connection and with it the lock,
    silently: another `jobs run` may then take it. `check()` asks the database whether this
    connection still holds it; when not, the process must stop (`lost` is then True).
    """

    def __init__(self, connection=None):
        self._connection = connection
        self.lost = False

    @property
    def held(self) -> bool:
        """False on SQLite, where there is no lock (one process by design)."""
        return self._connection is not None

    def check(self, logger) -> bool:
        if self._connection is None:
            return not self.lost
        key = LOCK_KEYS["scheduler_process"]
        try:
            # A bigint advisory key shows in pg_locks as classid (high half), objid (low half).
            still = bool(self._connection.scalar(sa.text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND pid = pg_backend_pid() AND classid = :hi AND objid = :lo"
                " AND objsubid = 1"), {"hi": key >> 32, "lo": key & 0xFFFFFFFF}))
        except sa.exc.DBAPIError as exc:
            logger.error("jobs: the scheduler lock's database connection is gone (%s); "
                         "stopping, so the process manager can start a scheduler that waits "
                         "for the lock again", exc.__class__.__name__)
            still = False
        else:
            if not still:
                logger.error("jobs: the scheduler lock is no longer held; stopping, so the "
                             "process manager can start a scheduler that waits for it again")
        if not still:
            self.lost = True
        return still

    def release(self) -> None:
        if self._connection is None:
            return

        try:
            if not self.lost:
                self._connection.execute(sa.text("SELECT pg_advisory_unlock(:k)"),
                                         {"k": LOCK_KEYS["scheduler_process"]})
        finally:
            try:
                self._connection.close()
            except sa.exc.DBAPIError:
                pass  # the connection died with the lock
            self._connection = None


def hold_process_lock(on_wait: Callable[[], None] | None = None) -> ProcessLock:
    """Take the scheduler-process lock; when another process holds it, wait for it.

    On SQLite there is one process by design, so there is no lock.
    """

    if db.engine.dialect.name != "postgresql":
        return ProcessLock()
    conn = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    key = {"k": LOCK_KEYS["scheduler_process"]}
    if not conn.scalar(sa.text("SELECT pg_try_advisory_lock(:k)"), key):
        if on_wait is not None:
            on_wait()
        conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), key)
    return ProcessLock(conn)


_web_lock = threading.Lock()
_web_scheduler = None


def start_in_web_process(app):
    """Development (`make run`): the same jobs in a background thread of the web process.

    Started once per process, whatever calls create_app again. The Makefile runs the
    development server without the reloader, which would otherwise start a second copy.
    """
    global _web_scheduler
    if app.testing:
        return None
    with _web_lock:
        if _web_scheduler is not None:
            return _web_scheduler


        scheduler = build_scheduler(app, BackgroundScheduler)
        scheduler.start()

        def stop() -> None:
            if scheduler.running:
                scheduler.shutdown(wait=False)

        atexit.register(stop)
        _web_scheduler = scheduler
        app.logger.info("scheduler started in the web process: %s",
                        ", ".join(job.id for job in scheduler.get_jobs()))
        return scheduler
