"""Ranking one waiting trajectory against 5,000 volunteers (target: under 100 ms).

The volunteers (in 20 locations, with availability, domains, languages, VOG dates, 4,000 open
and 30,000 ended matches) are made inside PostgreSQL with INSERT ... SELECT generate_series.
Each run starts from a cold ORM session (the trajectory is loaded again) and does what the
"Koppel een vrijwilliger" page does: load the need, load every candidate, score and sort,
and put the reasons in words for the first page of 20.
"""

import statistics
import time
from datetime import date

import sqlalchemy as sa

VOLUNTEERS = 5_000
LOCATIONS = 20
TRAJECTORIES = 40_000
OPEN_MATCHES = 4_000
ENDED_MATCHES = 30_000
RUNS = 15
TODAY = date(2026, 11, 23)
NOW_SQL = "timestamp '2026-11-23 09:00:00'"
TODAY_SQL = "date '2026-11-23'"
SLOTS = ["mon-morning", "mon-afternoon", "mon-evening", "tue-morning", "tue-afternoon",
         "tue-evening", "wed-morning", "wed-afternoon", "wed-evening", "thu-morning",
         "thu-afternoon", "thu-evening", "fri-morning", "fri-afternoon", "fri-evening",
         "sat-morning", "sat-afternoon", "sat-evening"]
SUBJECTS = ["lezen", "schrijven", "spreken_luisteren", "rekenen", "digitaal",
            "digitale_overheid"]


def _array(values: list[str]) -> str:
    return "ARRAY[" + ", ".join(f"'{v}'" for v in values) + "]"


def _fill(conn) -> int:
    """Fill the database; returns the id of the trajectory to rank."""
    conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
    slots, subjects = _array(SLOTS), _array(SUBJECTS)
    conn.execute(sa.text(f"""
        INSERT INTO locations (name, municipality, active, created_at)
        SELECT 'Bibliotheek ' || i, 'Gemeente ' || (i % 5), true, {NOW_SQL}
        FROM generate_series(1, {LOCATIONS}) AS i"""))
    conn.execute(sa.text(f"""
        INSERT INTO volunteers (first_name, last_name, email, phone, sex, availability,
                                capacity, domains, languages, vog_on, status, created_at,
                                updated_at)
        SELECT 'Vrijwilliger' || i, 'Achternaam' || (i % 991), NULL, '06-1234' || i,
               CASE WHEN i % 2 = 0 THEN 'vrouw' ELSE 'man' END,
               json_build_array(({slots})[1 + i % 18], ({slots})[1 + (i * 7) % 18],
                                ({slots})[1 + (i * 13) % 18], ({slots})[1 + (i * 5) % 18]),
               1 + i % 3,
               json_build_array(({subjects})[1 + i % 6], ({subjects})[1 + (i * 5) % 6]),
               CASE i % 6 WHEN 0 THEN '["Arabisch", "Frans"]'::json
                          WHEN 1 THEN '["Turks"]'::json
                          WHEN 2 THEN '["Engels"]'::json
                          WHEN 3 THEN '["Tigrinya", "Amhaars", "Engels"]'::json
                          ELSE '[]'::json END,
               CASE WHEN i % 20 = 0 THEN NULL ELSE {TODAY_SQL} - (i % 1300) END,
               CASE WHEN i % 100 < 90 THEN 'active' WHEN i % 100 < 97 THEN 'paused'
                    ELSE 'stopped' END,
               {NOW_SQL}, {NOW_SQL}
        FROM generate_series(1, {VOLUNTEERS}) AS i"""))
    conn.execute(sa.text(f"""
        INSERT INTO volunteer_locations (volunteer_id, location_id)
        SELECT i, 1 + i % {LOCATIONS} FROM generate_series(1, {VOLUNTEERS}) AS i
        UNION
        SELECT i, 1 + (i * 3) % {LOCATIONS} FROM generate_series(1, {VOLUNTEERS}) AS i
        WHERE i % 3 = 0"""))
    conn.execute(sa.text(f"""
        INSERT INTO participants (first_name, last_name, preferred_channel,
                                  language_background, native_language, created_at,
                                  updated_at)
        SELECT 'Deelnemer' || i, 'Achternaam' || (i % 997), 'phone', 'nt2',
               CASE WHEN i = 1 THEN 'Arabisch' END, {NOW_SQL}, {NOW_SQL}
        FROM generate_series(1, {TRAJECTORIES}) AS i"""))
    conn.execute(sa.text(f"""
        INSERT INTO trajectories (participant_id, location_id, status, referred_on,
                                  waiting_since, created_at, updated_at)
        SELECT i, 1 + i % {LOCATIONS},
               CASE WHEN i = 1 THEN 'waiting' ELSE 'active' END,
               {TODAY_SQL} - 90, CASE WHEN i = 1 THEN {TODAY_SQL} - 34 END,
               {NOW_SQL}, {NOW_SQL}
        FROM generate_series(1, {TRAJECTORIES}) AS i"""))
    conn.execute(sa.text(f"""
        INSERT INTO intakes (trajectory_id, held_on, scale, level_speaking, level_listening,
                             level_reading, level_writing, knows_latin_alphabet,
                             digital_level, numeracy_level, availability,
                             volunteer_preferences, created_at, updated_at)
        VALUES (1, {TODAY_SQL} - 34, 'nt2', 'A1', 'A1', 'A0', 'A0', true, 'basic', 'unknown',
                '["mon-morning", "tue-morning", "wed-afternoon", "thu-morning"]'::json,
                'Liefst een vrouw die ook Arabisch spreekt.', {NOW_SQL}, {NOW_SQL})"""))
    conn.execute(sa.text(f"""
        INSERT INTO learning_goals (trajectory_id, subject, context, own_words, status,
                                    created_at)
        VALUES (1, 'digitaal', 'werk', 'Een e-mail sturen naar mijn werkgever', 'open',
                {NOW_SQL}),
               (1, 'lezen', 'geld', 'Brieven van de gemeente lezen', 'open', {NOW_SQL})"""))
    conn.execute(sa.text(f"""
        INSERT INTO matches (trajectory_id, volunteer_id, status, proposed_on, started_on,
                             ended_on, end_reason, last_session_on, created_at, updated_at)
        SELECT 2 + i, 1 + (i * 7) % {VOLUNTEERS},
               CASE WHEN i <= {OPEN_MATCHES} THEN 'active' ELSE 'ended' END,
               {TODAY_SQL} - 200, {TODAY_SQL} - 190,
               CASE WHEN i > {OPEN_MATCHES} THEN {TODAY_SQL} - 20 END,
               CASE WHEN i > {OPEN_MATCHES} THEN 'doel_behaald' END,
               {TODAY_SQL} - (i % 60), {NOW_SQL}, {NOW_SQL}
        FROM generate_series(1, {OPEN_MATCHES + ENDED_MATCHES}) AS i"""))
    for table in ("locations", "volunteers", "volunteer_locations", "participants",
                  "trajectories", "intakes", "learning_goals", "matches"):
        conn.execute(sa.text(f"ANALYZE {table}"))
    return 1


def run(app) -> list[str]:
    from app.extensions import db
    from app.matching import service as matching
    from app.participants.models import Trajectory
    from app.volunteers.models import volunteer_locations

    with db.engine.begin() as conn:
        trajectory_id = _fill(conn)

    def rank(scope):
        db.session.expire_all()
        trajectory = db.session.get(Trajectory, trajectory_id)
        ranking = matching.rank_volunteers(trajectory, scope=scope, today=TODAY)
        ranking.explained(ranking.proposed[:20])  # the reasons for the first page
        return ranking

    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    # Admin: every volunteer. Coordinator of 4 locations: about a quarter of them.
    coordinator_scope = sa.true().__and__(
        sa.literal_column("volunteers.id").in_(
            sa.select(volunteer_locations.c.volunteer_id)
            .where(volunteer_locations.c.location_id.in_([1, 2, 3, 4]))))
    lines = []
    for label, scope in (("all 5,000 volunteers (admin)", sa.true()),
                         ("volunteers of 4 locations (coordinator)", coordinator_scope)):
        rank(scope)  # warm-up: connection, statement cache
        timings, cpu = [], []
        for _ in range(RUNS):
            started, cpu_started = time.perf_counter(), time.process_time()
            ranking = rank(scope)
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
        statements.clear()
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            ranking = rank(scope)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        candidates = len(ranking.proposed) + ranking.apart_total
        lines.append(
            f"rank one trajectory, {label}: median {statistics.median(timings):.0f} ms "
            f"(min {min(timings):.0f}, max {max(timings):.0f}, {RUNS} runs; Python CPU "
            f"{statistics.median(cpu):.0f} ms; "
            f"{candidates} candidates, {len(ranking.proposed)} proposable, "
            f"{len(statements)} queries) — target < 100 ms")
    best = ranking.explained(ranking.proposed[:1])[0] if ranking.proposed else None
    if best is not None:
        lines.append(f"best fit: score {best.score}, factors "
                     f"{', '.join(f.kind for f in best.factors)}")
    return lines
