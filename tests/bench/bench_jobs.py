# ruff: noqa: S608  (SQL built from the constants of this file only, never from input)
"""The scheduled jobs at regional scale: the hourly tick and the 07:00 run with ~2,000 mails.

The mails go to a real SMTP server in this process (aiosmtpd, as the tests use); the time
spent inside `send_message` is measured and subtracted, so what is printed is the jobs' own
work: finding what is due, building the mails, claiming and recording them in the ledger.

Uses the regional data set (tests/bench/regional.py) when it is there; otherwise fills its
own: 100,000 trajectories and 1,000,000 check-ins (bench_scan's fill), 400 coordinators and
staff, 5,000 volunteers of whom 1,600 sign in and have a check-in due today.
"""

import time
from contextlib import contextmanager
from datetime import UTC, datetime

import sqlalchemy as sa

from . import bench_scan

# Monday 23 November 2026, 07:00 in Amsterdam, and the hourly tick after it.
NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
HOURLY = datetime(2026, 11, 23, 9, 15, tzinfo=UTC)
NOW_SQL = bench_scan.NOW_SQL
TODAY_SQL = bench_scan.TODAY_SQL
LOCATIONS = bench_scan.LOCATIONS
STAFF_PER_LOCATION = 7
VOLUNTEERS = 5_000
VOLUNTEER_ACCOUNTS = 1_600
DAILY = ("out_of_view_scan", "participant_messages", "daily_digest", "volunteer_reminders",
         "volunteer_silence", "referrer_signals", "deliver")
MAIL_KINDS = ("digest", "volunteer_reminder", "volunteer_silent_21")


def _fill(conn) -> None:
    bench_scan._fill(conn)
    conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
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
    for table in ("users", "user_locations", "volunteers", "volunteer_locations", "matches",
                  "checkins"):
        conn.execute(sa.text(f"ANALYZE {table}"))


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


def _run(app, db, moment, names):
    from jobs.sweeps import run_jobs

    before = db.session.scalar(sa.select(sa.func.max(sa.text("id"))).select_from(
        sa.table("notifications"))) or 0
    with _smtp(app) as (spent, recorder), _counting(db) as statements:
        started = time.perf_counter()
        run_jobs(moment, names)
        elapsed = time.perf_counter() - started
    db.session.remove()
    mails = db.session.scalar(sa.text(
        "SELECT count(*) FROM notifications WHERE id > :b AND channel = 'email' "
        "AND status = 'sent'"), {"b": before})
    return elapsed - sum(spent), sum(spent), len(statements), mails, len(recorder.messages)


def _use_regional(db) -> bool:
    try:
        from . import regional  # noqa: F401
    except ImportError:
        return False
    return hasattr(regional, "build")


def run(app) -> list[str]:
    from app.extensions import db

    lines = []
    started = time.perf_counter()
    with db.engine.begin() as conn:
        _fill(conn)
    counts = db.session.execute(sa.text(
        "SELECT (SELECT count(*) FROM trajectories), (SELECT count(*) FROM checkins), "
        "(SELECT count(*) FROM users), (SELECT count(*) FROM volunteers)")).one()
    db.session.commit()
    lines.append(f"data: {counts[0]:,} trajectories, {counts[1]:,} check-ins, "
                 f"{counts[2]:,} users, {counts[3]:,} volunteers, "
                 f"filled in {time.perf_counter() - started:.1f} s")

    work, smtp, queries, mails, received = _run(app, db, NOW, DAILY)
    per_mail = queries / mails if mails else float("nan")
    lines.append(f"07:00 run: {mails:,} mails ({received:,} received), {queries:,} queries, "
                 f"{per_mail:.1f} queries per mail, {work:.1f} s without SMTP "
                 f"(SMTP {smtp:.1f} s) — target <= 60 s")
    for hour in (HOURLY, HOURLY.replace(hour=10)):
        work, smtp, queries, mails, _received = _run(app, db, hour, DAILY)
        lines.append(f"hourly tick {hour:%H:%M} UTC: {mails:,} mails, {queries:,} queries, "
                     f"{work:.2f} s without SMTP — target <= 2 s")
    return lines
