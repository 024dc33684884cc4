# ruff: noqa: S608  (SQL built from the constants of this file only, never from input)
"""The reports dashboard over 100,000 trajectories, rendered as an admin sees it.

Data is made inside PostgreSQL with INSERT ... SELECT generate_series. Referral dates spread
over 700 days up to 23 November 2026, so about half of them fall in the 2026 cohort.
"""

import os
import statistics
import time

import sqlalchemy as sa

from . import fill

TRAJECTORIES = 100_000
LOCATIONS = 50
PARTNERS = 20
VOLUNTEERS = 5_000
SESSIONS_PER_MATCH = 10
RUNS = 20
NOW_SQL = "timestamp '2026-11-23 06:15:00'"
TODAY_SQL = "date '2026-11-23'"
PERIOD = {"start": "2026-01-01", "end": "2026-12-31"}
PASSWORD = "bench benchmark password"


def _fill(conn) -> None:
    conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
    fill.locations_with_coordinators(conn, LOCATIONS, NOW_SQL)
    conn.execute(sa.text(f"""
        INSERT INTO partners (name, kind, signals_enabled, active, created_at)
        SELECT 'Partner ' || i, 'gemeente', true, true, {NOW_SQL}
        FROM generate_series(1, {PARTNERS}) AS i"""))
    conn.execute(sa.text(f"""
        INSERT INTO participants (first_name, last_name, preferred_channel, birth_year,
                                  language_background, created_at, updated_at)
        SELECT 'Deelnemer' || i, 'Achternaam' || (i % 997), 'phone', 1950 + i % 50,
               CASE i % 3 WHEN 0 THEN 'nt1' WHEN 1 THEN 'nt2' ELSE 'unknown' END,
               {NOW_SQL}, {NOW_SQL}
        FROM generate_series(1, {TRAJECTORIES}) AS i"""))
    # Status by i % 10: 0-1 referred, 2 waiting, 3-6 active, 7-9 ended.
    conn.execute(sa.text(f"""
        INSERT INTO trajectories (participant_id, location_id, owner_id, status, referred_on,
                                  waiting_since, started_on, ended_on, outcome,
                                  out_of_view_since, last_contact_at, created_at, updated_at,
                                  partner_id, first_contact_on, intake_on)
        SELECT i, 1 + i % {LOCATIONS}, 1 + i % {LOCATIONS},
               CASE WHEN i % 10 < 2 THEN 'referred' WHEN i % 10 = 2 THEN 'waiting'
                    WHEN i % 10 < 7 THEN 'active' ELSE 'ended' END,
               {TODAY_SQL} - (i % 700),
               CASE WHEN i % 10 = 2 THEN {TODAY_SQL} - (i % 700) + 12 END,
               CASE WHEN i % 10 >= 3 THEN {TODAY_SQL} - (i % 700) + 20 + i % 15 END,
               CASE WHEN i % 10 >= 7 THEN {TODAY_SQL} - (i % 700) + 20 + i % 15 + i % 200 END,
               CASE WHEN i % 10 >= 7 THEN (ARRAY['goal_reached', 'work', 'stopped',
                    'formal_education', 'moved'])[1 + i % 5] END,
               CASE WHEN i % 50 = 0 AND i % 10 < 7 THEN {NOW_SQL} END,
               {NOW_SQL} - (i % 45) * interval '1 day', {NOW_SQL}, {NOW_SQL},
               -- The milestone copies (app/participants/milestones.py), written at once
               -- rather than by an UPDATE that would leave the table twice its size.
               CASE WHEN i % 7 = 0 THEN NULL ELSE 1 + i % {PARTNERS} END,
               CASE WHEN i % 10 >= 2 THEN {TODAY_SQL} - (i % 700) + 1 + i % 6 END,
               CASE WHEN i % 10 >= 2 THEN {TODAY_SQL} - (i % 700) + 10 END
        FROM generate_series(1, {TRAJECTORIES}) AS i"""))
    # Trajectory ids are 1..TRAJECTORIES (a fresh table): the records of truth are copied
    # from the trajectory's copies, so both agree.
    conn.execute(sa.text(f"""
        INSERT INTO referrals (trajectory_id, partner_id, referred_on, question, channel,
                               first_contact_due, result, result_on, created_at)
        SELECT t.id, t.partner_id, t.referred_on, 'Beter lezen', 'phone', t.referred_on + 7,
               CASE WHEN t.status = 'referred' THEN 'pending' ELSE 'reached' END,
               t.first_contact_on, {NOW_SQL}
        FROM trajectories t"""))
    conn.execute(sa.text(f"""
        INSERT INTO intakes (trajectory_id, held_on, scale, level_speaking, level_listening,
                             level_reading, level_writing, digital_level, numeracy_level,
                             availability, created_at, updated_at)
        SELECT t.id, t.intake_on, 'nt2', 'A1', 'A1', 'A0', 'A0', 'basic', '1F',
               '[]', {NOW_SQL}, {NOW_SQL}
        FROM trajectories t WHERE t.intake_on IS NOT NULL"""))
    conn.execute(sa.text(f"""
        INSERT INTO learning_goals (trajectory_id, subject, context, own_words, status,
                                    created_at)
        SELECT t.id, (ARRAY['lezen', 'schrijven', 'rekenen', 'digitaal'])[1 + (t.id + n) % 4],
               'werk', 'Een brief lezen',
               CASE WHEN t.status = 'ended' THEN
                    (ARRAY['achieved', 'partly_achieved', 'stopped'])[1 + (t.id + n) % 3]
                    ELSE 'open' END, {NOW_SQL}
        FROM trajectories t, generate_series(0, 1) AS n WHERE t.status <> 'referred'"""))
    conn.execute(sa.text(f"""
        INSERT INTO checkins (trajectory_id, kind, due_on, assignee_id, status, created_at)
        SELECT t.id, 'match_3m', {TODAY_SQL} - 30 + t.id % 60, t.owner_id, 'planned',
               {NOW_SQL}
        FROM trajectories t WHERE t.status <> 'ended'"""))
    conn.execute(sa.text(f"""
        INSERT INTO volunteers (first_name, last_name, availability, capacity, domains,
                                languages, status, created_at, updated_at)
        SELECT 'Vrijwilliger' || i, 'Achternaam', '[]', 1 + i % 3, '[]', '[]',
               CASE WHEN i % 10 = 0 THEN 'paused' ELSE 'active' END, {NOW_SQL}, {NOW_SQL}
        FROM generate_series(1, {VOLUNTEERS}) AS i"""))
    conn.execute(sa.text(f"""
        INSERT INTO volunteer_locations (volunteer_id, location_id)
        SELECT i, 1 + i % {LOCATIONS} FROM generate_series(1, {VOLUNTEERS}) AS i"""))
    # The active trajectories with a volunteer: one match each.
    conn.execute(sa.text(f"""
        INSERT INTO matches (trajectory_id, volunteer_id, status, proposed_on, started_on,
                             last_session_on, created_at, updated_at)
        SELECT t.id, 1 + t.id % {VOLUNTEERS}, 'active', t.started_on - 3, t.started_on,
               t.started_on + 7 * {SESSIONS_PER_MATCH}, {NOW_SQL}, {NOW_SQL}
        FROM trajectories t WHERE t.status = 'active'"""))
    conn.execute(sa.text(f"""
        INSERT INTO match_sessions (match_id, held_on, minutes, practised, concern,
                                    created_at, updated_at)
        SELECT m.id, m.started_on + 7 * n, 30 + 15 * (n % 4), 'Lezen', false,
               {NOW_SQL}, {NOW_SQL}
        FROM matches m, generate_series(1, {SESSIONS_PER_MATCH}) AS n"""))


TABLES = ("locations", "users", "partners", "participants", "trajectories", "referrals",
          "intakes", "learning_goals", "checkins", "volunteers", "volunteer_locations",
          "matches", "match_sessions")


def run(app) -> list[str]:
    from app.auth.models import User
    from app.auth.passwords import hash_password
    from app.extensions import db

    lines = []
    started = time.perf_counter()
    with db.engine.begin() as conn:
        _fill(conn)
    # As a live database is between bulk loads: statistics and visibility maps up to date.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in TABLES:
            conn.execute(sa.text(f"VACUUM ANALYZE {table}"))
        # Write the fill out now, not while the renders are being timed.
        conn.execute(sa.text("CHECKPOINT"))
    admin = User(email="admin@bench.example", name="Beheerder", role="admin", active=True,
                 password_hash=hash_password(PASSWORD))
    db.session.add(admin)
    db.session.commit()
    counts = db.session.execute(sa.text(
        "SELECT (SELECT count(*) FROM trajectories), (SELECT count(*) FROM match_sessions),"
        " (SELECT count(*) FROM checkins)")).one()
    lines.append(f"data: {counts[0]:,} trajectories, {counts[1]:,} sessions, "
                 f"{counts[2]:,} check-ins, filled in {time.perf_counter() - started:.1f} s")

    coordinator = db.session.get(User, 1)
    coordinator.password_hash = admin.password_hash
    db.session.commit()
    admin_email, coordinator_email = admin.email, coordinator.email
    lines.append(_measure(app, db, admin_email, f"all {LOCATIONS} locations, as admin",
                          "Ingelogd als Beheerder"))
    lines.append(_measure(app, db, coordinator_email, "one location, as its coordinator",
                          "Ingelogd als Coordinator 1 "))
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    lines.append(f"machine load average during the run (1, 5, 15 min): {load} "
                 f"on {os.cpu_count()} cores")
    return lines


def _measure(app, db, email: str, who: str, expect_in_page: str) -> str:
    client = app.test_client()

    def get(path, **kwargs):
        # A fresh app context per request, as a server has: inside the bench's own context
        # Flask would reuse it, and with it the user Flask-Login cached in `g` earlier.
        with app.app_context():
            return client.get(path, **kwargs)

    with app.app_context():
        response = client.post("/inloggen", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, "sign-in failed"

    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    # Warm up once (connection pool, template compilation), then measure.
    first = get("/rapportage/", query_string=PERIOD)
    assert first.status_code == 200
    # The page says whose figures these are: make sure it is the user asked for.
    assert expect_in_page in first.get_data(as_text=True), "rendered for the wrong user"
    timings = []
    for run_no in range(RUNS):
        db.session.remove()
        if run_no == 0:
            sa.event.listen(db.engine, "before_cursor_execute", count)
        started = time.perf_counter()
        response = get("/rapportage/", query_string=PERIOD)
        timings.append(time.perf_counter() - started)
        if run_no == 0:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        assert response.status_code == 200
    timings.sort()
    p50 = statistics.median(timings) * 1000
    p95 = timings[max(0, round(0.95 * len(timings)) - 1)] * 1000
    return (f"dashboard for 2026, {who}: p50 {p50:.0f} ms, p95 {p95:.0f} ms over {RUNS} "
            f"renders, {len(statements)} queries per render — target < 300 ms p95")
