# ruff: noqa: S608  (SQL built from the constants of this file only, never from input)
"""The scheduled jobs at regional scale: the hourly tick and the 07:00 run with ~2,000 mails.

The mails go to a real SMTP server in this process (aiosmtpd, as the tests use); the time
spent inside `send_message` is measured and subtracted, so what is printed is the jobs' own
work: finding what is due, building the mails, claiming and recording them in the ledger.

On the regional data set (tests/bench/regional.py; `REGIONAL = True` asks `make bench` for a
copy): the first 07:00 run of a fresh installation (Monday 23 November 2026: the backlog of
alerts and signals, every digest and reminder), the hourly ticks after it, and the next
morning's run. Without the regional generator (an older tests/bench), it fills its own:
100,000 trajectories, 1,000,000 check-ins, 400 coordinators and staff, 5,000 volunteers of
whom 1,600 sign in and have a check-in due today.
"""

import time
from contextlib import contextmanager
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

REGIONAL = True
# Monday 23 November 2026, 07:00 in Amsterdam, the hourly ticks after it, and Tuesday 07:00.
NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
HOURLY = (datetime(2026, 11, 23, 6, 15, tzinfo=UTC), datetime(2026, 11, 23, 9, 15, tzinfo=UTC))
TUESDAY = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
NOW_SQL = "timestamp '2026-11-23 06:00:00'"
TODAY_SQL = "date '2026-11-23'"
LOCATIONS = 50
TRAJECTORIES = 100_000
STAFF_PER_LOCATION = 7
VOLUNTEERS = 5_000
VOLUNTEER_ACCOUNTS = 1_600
LOCAL = ZoneInfo("Europe/Amsterdam")


def _jobs(job_id: str) -> tuple[str, ...]:
    from jobs.scheduler import SCHEDULE

    return next(names for wanted, names, _cron in SCHEDULE if wanted == job_id)


DAILY = _jobs("houvast-daily")
HOURLY_JOBS = _jobs("houvast-hourly")


def _own_fill(conn) -> None:
    """Only without tests/bench/regional.py: enough for the jobs, in bulk SQL."""
    # Consistent by construction: no per-row foreign-key triggers (the bench is superuser).
    conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
    conn.execute(sa.text(f"""
        INSERT INTO locations (name, municipality, active, created_at)
        SELECT 'Bibliotheek ' || i, 'Gemeente ' || (i % 10), true, {NOW_SQL}
        FROM generate_series(1, {LOCATIONS}) AS i"""))
    conn.execute(sa.text(f"""
        INSERT INTO users (email, name, role, active, email_preference, password_hash,
                           created_at)
        SELECT 'coordinator' || i || '@bench.example', 'Coordinator ' || i, 'coordinator',
               true, 'digest', 'x', {NOW_SQL}
        FROM generate_series(1, {LOCATIONS}) AS i"""))
    conn.execute(sa.text(f"""
        INSERT INTO user_locations (user_id, location_id)
        SELECT i, i FROM generate_series(1, {LOCATIONS}) AS i"""))
    conn.execute(sa.text(f"""
        INSERT INTO participants (first_name, last_name, preferred_channel,
                                  language_background, created_at, updated_at)
        SELECT 'Deelnemer' || i, 'Achternaam' || (i % 997), 'phone', 'nt2',
               {NOW_SQL}, {NOW_SQL}
        FROM generate_series(1, {TRAJECTORIES}) AS i"""))
    conn.execute(sa.text(f"""
        INSERT INTO trajectories (participant_id, location_id, owner_id, status, referred_on,
                                  waiting_since, last_contact_at, created_at, updated_at)
        SELECT i, 1 + i % {LOCATIONS}, 1 + i % {LOCATIONS},
               CASE WHEN i % 10 < 6 THEN 'active' WHEN i % 10 = 6 THEN 'waiting'
                    WHEN i % 10 = 7 THEN 'referred' ELSE 'ended' END,
               {TODAY_SQL} - 60 - (i % 300),
               CASE WHEN i % 10 = 6 THEN {TODAY_SQL} - (i % 40) END,
               {NOW_SQL} - (i % 45) * interval '1 day' - (i % 24) * interval '1 hour',
               {NOW_SQL}, {NOW_SQL}
        FROM generate_series(1, {TRAJECTORIES}) AS i"""))
    conn.execute(sa.text(f"""
        INSERT INTO checkins (trajectory_id, kind, due_on, assignee_id, status, outcome,
                              done_at, created_at)
        SELECT t, 'match_3m', {TODAY_SQL} - 300 + n * 30 + (t % 20), 1 + t % {LOCATIONS},
               CASE WHEN n = 9 THEN 'planned' WHEN (t + n) % 23 = 0 THEN 'not_reached'
                    ELSE 'done' END,
               CASE WHEN n < 9 AND (t + n) % 23 <> 0 THEN 'going_well' END,
               CASE WHEN n < 9 THEN {NOW_SQL} - (300 - n * 30) * interval '1 day' END,
               {NOW_SQL}
        FROM generate_series(1, {TRAJECTORIES}) AS t, generate_series(0, 9) AS n"""))
    # Users 1..50 are the coordinators of locations 1..50 (they own the trajectories).
    conn.execute(sa.text("UPDATE users SET password_hash = 'x'"))
    conn.execute(sa.text(f"""
        WITH u AS (
            INSERT INTO users (email, name, role, active, email_preference, password_hash,
                               created_at)
            SELECT 'staff' || i || '@bench.example', 'Medewerker ' || i, 'staff', true,
                   'digest', 'x', {NOW_SQL}
            FROM generate_series(1, {LOCATIONS * STAFF_PER_LOCATION}) AS i RETURNING id)
        INSERT INTO user_locations (user_id, location_id)
        SELECT id, 1 + id % {LOCATIONS} FROM u"""))
    conn.execute(sa.text(f"""
        INSERT INTO users (email, name, role, active, email_preference, password_hash,
                           created_at)
        SELECT 'volunteer' || i || '@bench.example', 'Vrijwilliger ' || i, 'volunteer', true,
               'digest', 'x', {NOW_SQL}
        FROM generate_series(1, {VOLUNTEER_ACCOUNTS}) AS i"""))
    conn.execute(sa.text(f"""
        INSERT INTO volunteers (version, first_name, last_name, availability, capacity,
                                domains, languages, status, user_id, created_at, updated_at)
        SELECT 1, 'Vrijwilliger' || i, 'Achternaam', '[]', 2, '[]', '[]', 'active',
               (SELECT id FROM users WHERE email = 'volunteer' || i || '@bench.example'),
               {NOW_SQL}, {NOW_SQL}
        FROM generate_series(1, {VOLUNTEERS}) AS i"""))
    conn.execute(sa.text(f"""
        INSERT INTO volunteer_locations (volunteer_id, location_id)
        SELECT id, 1 + id % {LOCATIONS} FROM volunteers"""))
    # One active match per volunteer on an active trajectory of their location; one in
    # five without a session for four weeks (the volunteer's silence reminder).
    conn.execute(sa.text(f"""
        INSERT INTO matches (trajectory_id, volunteer_id, status, proposed_on, started_on,
                             last_session_on, created_at, updated_at)
        SELECT t.id, v.id, 'active', {TODAY_SQL} - 120, {TODAY_SQL} - 110,
               CASE WHEN v.id % 5 = 0 THEN {TODAY_SQL} - 28 ELSE {TODAY_SQL} - 5 END,
               {NOW_SQL}, {NOW_SQL}
        FROM volunteers v
        JOIN trajectories t ON t.id = v.id * 10 + 1
        WHERE t.status = 'active'"""))
    # Each volunteer with an account has a check-in due today on their match.
    conn.execute(sa.text(f"""
        INSERT INTO checkins (trajectory_id, kind, due_on, assignee_id, status, created_at)
        SELECT m.trajectory_id, 'match_2w', {TODAY_SQL}, v.user_id, 'planned', {NOW_SQL}
        FROM matches m JOIN volunteers v ON v.id = m.volunteer_id
        WHERE v.user_id IS NOT NULL"""))
    conn.execute(sa.text("ANALYZE"))


@contextmanager
def _counting(db):
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


@contextmanager
def _smtp(app):
    """A real SMTP server (aiosmtpd); yields a list whose sum is the seconds spent sending."""
    from aiosmtpd.controller import Controller

    import app.core.mail as mail
    import app.notifications.service as ledger
    from tests.conftest import SMTPRecorder, free_port

    recorder = SMTPRecorder()
    recorder.port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=recorder.port)
    controller.start()
    spent: list[float] = []
    real_send = mail.send_message

    def timed_send(msg):
        started = time.perf_counter()
        try:
            real_send(msg)
        finally:
            spent.append(time.perf_counter() - started)

    saved = {k: app.config.get(k) for k in ("MAIL_SERVER", "MAIL_PORT", "MAIL_RUN_BUDGET")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=recorder.port,
                      # Everything due in this one run: the 60 s budget is wall-clock time
                      # with SMTP in it, and the benchmark measures without.
                      MAIL_RUN_BUDGET=3600)
    ledger.send_message = timed_send
    try:
        yield spent, recorder
    finally:
        ledger.send_message = real_send
        app.config.update(saved)
        controller.stop()


@contextmanager
def _timed_jobs():
    """Seconds per job of one run (SMTP included in "deliver")."""
    from jobs import sweeps

    seconds: dict[str, float] = {}
    saved = dict(sweeps.JOBS)

    def timed(name, job):
        def run(now):
            started = time.perf_counter()
            try:
                return job(now)
            finally:
                seconds[name] = time.perf_counter() - started
        return run

    sweeps.JOBS.update({name: timed(name, job) for name, job in saved.items()})
    try:
        yield seconds
    finally:
        sweeps.JOBS.update(saved)


def _run(app, db, moment, names):
    from jobs.sweeps import run_jobs

    before = db.session.scalar(sa.select(sa.func.max(sa.text("id"))).select_from(
        sa.table("notifications"))) or 0
    with _smtp(app) as (spent, recorder), _counting(db) as statements, \
            _timed_jobs() as per_job:
        started = time.perf_counter()
        run_jobs(moment, names)
        elapsed = time.perf_counter() - started
    db.session.remove()
    mails = db.session.scalar(sa.text(
        "SELECT count(*) FROM notifications WHERE id > :b AND channel = 'email' "
        "AND status = 'sent'"), {"b": before})
    return (elapsed - sum(spent), sum(spent), len(statements), mails, len(recorder.messages),
            per_job)


def _data(app, db) -> str:
    """The regional data set when `make bench` copied it (or can build it), else our own."""
    if db.session.scalar(sa.text("SELECT count(*) FROM trajectories")):
        return "the regional data set"
    try:
        from . import regional
    except ImportError:
        with db.engine.begin() as conn:
            _own_fill(conn)
        return "the jobs benchmark's own fill"
    regional.build(app)
    return "the regional data set"


def _kinds(db, after: int) -> str:
    rows = db.session.execute(sa.text(
        "SELECT kind, count(*) FROM notifications WHERE id > :after AND channel = 'email' "
        "AND status = 'sent' GROUP BY kind ORDER BY count(*) DESC"), {"after": after}).all()
    db.session.rollback()
    return ", ".join(f"{count:,} {kind}" for kind, count in rows)


def _last_id(db) -> int:
    last = db.session.scalar(sa.text("SELECT coalesce(max(id), 0) FROM notifications"))
    db.session.rollback()
    return last


def run(app) -> list[str]:
    from app.extensions import db

    started = time.perf_counter()
    source = _data(app, db)
    counts = db.session.execute(sa.text(
        "SELECT (SELECT count(*) FROM trajectories), (SELECT count(*) FROM checkins), "
        "(SELECT count(*) FROM users), (SELECT count(*) FROM volunteers)")).one()
    db.session.commit()
    lines = [f"data: {source}: {counts[0]:,} trajectories, {counts[1]:,} check-ins, "
             f"{counts[2]:,} users, {counts[3]:,} volunteers "
             f"(ready in {time.perf_counter() - started:.1f} s)"]

    def measured(label: str, moment, names, target: str) -> None:
        after = _last_id(db)
        work, smtp, queries, mails, _received, per_job = _run(app, db, moment, names)
        per_mail = f", {queries / mails:.1f} queries per mail" if mails else ""
        lines.append(f"{label}: {mails:,} mails{per_mail}, {queries:,} queries, "
                     f"{work:.1f} s without SMTP (SMTP {smtp:.1f} s) — target {target}")
        if mails:
            lines.append(f"  mails: {_kinds(db, after)}")
        lines.append("  seconds per job: " + ", ".join(
            f"{name} {seconds:.1f}" for name, seconds in per_job.items()))

    measured("first 07:00 run (Monday)", NOW, DAILY, "<= 60 s")
    for moment in HOURLY:
        measured(f"hourly tick {moment.astimezone(LOCAL):%H:%M}", moment, HOURLY_JOBS, "<= 2 s")
    measured("next 07:00 run (Tuesday)", TUESDAY, DAILY, "<= 60 s")
    return lines
