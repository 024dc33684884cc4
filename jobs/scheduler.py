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
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from app.core.backup import backup
from app.core.timeutil import utcnow
from app.extensions import db
from app.notifications.service import LOCK_KEYS
from jobs.sweeps import run_jobs

# Nothing is planned between 02:00 and 03:00 local time: on the autumn DST night that hour
# happens twice, and cron rules in it would fire twice.
HOURS = "0-1,3-23"

# (id, job names run in order, trigger arguments)
SCHEDULE = (
    # The daily mail, on time at 07:00 (the jobs themselves skip Dutch public holidays).
    ("houvast-daily", ("out_of_view_scan", "daily_digest", "volunteer_reminders",
                       "volunteer_silence", "referrer_signals", "deliver"),
     {"day_of_week": "mon-fri", "hour": 7, "minute": 0}),
    # Flags and alerts; also catches up a digest that was missed at 07:00 (server down).
    ("houvast-hourly", ("out_of_view_scan", "daily_digest", "volunteer_reminders",
                        "volunteer_silence", "referrer_signals", "deliver"),
     {"hour": HOURS, "minute": 15}),
    # Retries of mail that could not be sent.
    ("houvast-deliver", ("deliver",), {"hour": HOURS, "minute": "*/5"}),
)

JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}


def make_runner(app, names: tuple[str, ...]) -> Callable[[], None]:
    def run() -> None:

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


def build_scheduler(app, scheduler_class):
    tz = ZoneInfo(app.config.get("HOUVAST_TIMEZONE", "Europe/Amsterdam"))
    scheduler = scheduler_class(
        jobstores={"default": MemoryJobStore()},
        # One worker: the jobs of one process never overlap each other.
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        job_defaults=JOB_DEFAULTS,
        timezone=tz,
    )
    for job_id, names, cron in SCHEDULE:
        scheduler.add_job(make_runner(app, names), CronTrigger(timezone=tz, **cron),
                          id=job_id, name=job_id, replace_existing=True)
    if app.config.get("HOUVAST_BACKUP_DIR"):
        scheduler.add_job(make_backup_runner(app), CronTrigger(timezone=tz, **BACKUP_AT),
                          id="houvast-backup", name="houvast-backup", replace_existing=True)
    return scheduler


class ProcessLock:
    """A session-level PostgreSQL advisory lock, held on its own connection until released."""

    def __init__(self, connection=None):
        self._connection = connection

    def release(self) -> None:
        if self._connection is None:
            return

        try:
            self._connection.execute(sa.text("SELECT pg_advisory_unlock(:k)"),
                                     {"k": LOCK_KEYS["scheduler_process"]})
        finally:
            self._connection.close()
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
