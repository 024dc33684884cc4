# ruff: noqa: S608  (SQL built from the constants of this file only, never from input)
"""The hourly scan over 100,000 trajectories and 1,000,000 check-ins, and the digest's queries.

Data is made inside PostgreSQL with INSERT ... SELECT generate_series (seconds, not the
minutes ORM objects would take). Times in the tables are naive UTC, as UTCDateTime stores them.
"""

import statistics
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from . import fill

TRAJECTORIES = 100_000
CHECKINS = 1_000_000
LOCATIONS = 50
# Monday 23 November 2026, 07:15 in Amsterdam: a scan and the digest run at this moment.
NOW = datetime(2026, 11, 23, 6, 15, tzinfo=UTC)
NOW_SQL = "timestamp '2026-11-23 06:15:00'"
TODAY_SQL = "date '2026-11-23'"


def _fill(conn) -> None:
    # The rows are consistent by construction: skip the per-row foreign-key triggers, which
    # would otherwise take most of the fill time (needs a superuser, as the bench has).
    conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
    # One coordinator per location (user id = location id), then staff.
    fill.locations_with_coordinators(conn, LOCATIONS, NOW_SQL)
    conn.execute(sa.text(f"""
        INSERT INTO participants (first_name, last_name, preferred_channel,
                                  language_background, created_at, updated_at)
        SELECT 'Deelnemer' || i, 'Achternaam' || (i % 997), 'phone', 'nt2',
               {NOW_SQL}, {NOW_SQL}
        FROM generate_series(1, {TRAJECTORIES}) AS i"""))
    # Statuses: 60% active, 10% waiting, 10% referred, 20% ended. Last contact spread over
    # the last 45 days, so a few percent are silent for more than 42 days.
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
    # Ten check-ins per trajectory: mostly done, some not reached, the newest planned.
    conn.execute(sa.text(f"""
        INSERT INTO checkins (trajectory_id, kind, due_on, assignee_id, status, outcome,
                              done_at, created_at)
        SELECT t, 'match_3m', {TODAY_SQL} - 300 + n * 30 + (t % 20),
               1 + t % {LOCATIONS},
               CASE WHEN n = 9 THEN 'planned' WHEN (t + n) % 23 = 0 THEN 'not_reached'
                    ELSE 'done' END,
               CASE WHEN n < 9 AND (t + n) % 23 <> 0 THEN 'going_well' END,
               CASE WHEN n < 9 THEN {NOW_SQL} - (300 - n * 30) * interval '1 day' END,
               {NOW_SQL}
        FROM generate_series(1, {TRAJECTORIES}) AS t,
             generate_series(0, {CHECKINS // TRAJECTORIES - 1}) AS n"""))
    for table in ("locations", "users", "participants", "trajectories", "checkins"):
        conn.execute(sa.text(f"ANALYZE {table}"))


def _add_digest_users(conn) -> tuple[int, int]:
    """Two coordinators in fresh locations: one with 5 overdue check-ins, one with 500."""
    ids = []
    for n, items in ((1, 5), (2, 500)):
        loc = conn.scalar(sa.text(
            f"INSERT INTO locations (name, municipality, active, created_at) "
            f"VALUES ('Digest {n}', 'Bench', true, {NOW_SQL}) RETURNING id"))
        user = conn.scalar(sa.text(
            f"INSERT INTO users (email, name, role, active, email_preference, created_at) "
            f"VALUES ('digest{n}@bench.example', 'Digest {n}', 'coordinator', true, 'digest', "
            f"{NOW_SQL}) RETURNING id"))
        conn.execute(sa.text("INSERT INTO user_locations VALUES (:u, :l)"), {"u": user, "l": loc})
        conn.execute(sa.text(f"""
            WITH p AS (
                INSERT INTO participants (first_name, last_name, preferred_channel,
                                          language_background, created_at, updated_at)
                SELECT 'Digest' || i, 'Persoon', 'phone', 'nt2', {NOW_SQL}, {NOW_SQL}
                FROM generate_series(1, {items}) AS i RETURNING id),
            t AS (
                INSERT INTO trajectories (participant_id, location_id, owner_id, status,
                                          referred_on, last_contact_at, created_at, updated_at)
                SELECT id, {loc}, {user}, 'active', {TODAY_SQL} - 30,
                       {NOW_SQL} - interval '3 days', {NOW_SQL}, {NOW_SQL}
                FROM p RETURNING id)
            INSERT INTO checkins (trajectory_id, kind, due_on, assignee_id, status, created_at)
            SELECT id, 'match_6w', {TODAY_SQL} - 2, {user}, 'planned', {NOW_SQL} FROM t"""))
        ids.append(user)
    return ids[0], ids[1]


def _count_digest_queries(db, user_id: int) -> tuple[int, int, float]:
    from app.auth.models import User
    from app.notifications.service import sections_for
    from jobs.digest import render_digest

    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    db.session.expire_all()
    user = db.session.get(User, user_id)
    sa.event.listen(db.engine, "before_cursor_execute", count)
    started = time.perf_counter()
    try:
        parts = sections_for(user, NOW)
        render_digest(user, parts, NOW)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    elapsed = time.perf_counter() - started
    db.session.rollback()
    return len(statements), sum(len(p.items) for p in parts), elapsed


def _without_next_step(db) -> list[str]:
    """"Zonder volgende stap" (issue 11): one page and its count, for one location and for
    all 50, after 1% of the open trajectories lost their planned check-in."""
    from app.checkins.nextstep import without_next_step_query

    db.session.execute(sa.text(
        "UPDATE checkins SET status = 'cancelled' WHERE status = 'planned' "
        "AND trajectory_id % 100 = 1"))
    db.session.execute(sa.text("ANALYZE checkins"))
    db.session.commit()
    lines = []
    for label, locations in (("one location", [2]), ("all 50 locations", None)):
        timings, total = [], 0
        for _run in range(5):
            started = time.perf_counter()
            page = db.paginate(without_next_step_query(NOW, locations), page=1, per_page=25,
                               error_out=False)
            total = page.total
            timings.append(time.perf_counter() - started)
            db.session.rollback()
        lines.append(f"zonder volgende stap, {label}: {total:,} listed, first page and count "
                     f"median {statistics.median(timings) * 1000:.0f} ms "
                     f"(max {max(timings) * 1000:.0f} ms over {len(timings)} runs)")
    return lines


def run(app) -> list[str]:
    from app.extensions import db
    from jobs.scan import out_of_view_scan

    lines = []
    started = time.perf_counter()
    with db.engine.begin() as conn:
        _fill(conn)
        small, big = _add_digest_users(conn)
    counts = db.session.execute(sa.text(
        "SELECT (SELECT count(*) FROM trajectories), (SELECT count(*) FROM checkins)")).one()
    db.session.commit()
    lines.append(f"data: {counts[0]:,} trajectories, {counts[1]:,} check-ins, "
                 f"filled in {time.perf_counter() - started:.1f} s")

    # The first scan finds the backlog of a fresh installation: everything already silent.
    started = time.perf_counter()
    alerts = out_of_view_scan(NOW)
    lines.append(f"first scan (backlog: {len(alerts):,} alerts raised): "
                 f"{time.perf_counter() - started:.2f} s")

    # Then the hourly runs: each hour a few more trajectories cross the 42 days.
    timings, raised = [], []
    for hour in range(1, 6):
        started = time.perf_counter()
        raised.append(len(out_of_view_scan(NOW + timedelta(hours=hour))))
        timings.append(time.perf_counter() - started)
    db.session.expire_all()
    lines.append(f"hourly scan over {counts[0]:,} trajectories / {counts[1]:,} check-ins: "
                 f"median {statistics.median(timings):.2f} s of {len(timings)} runs "
                 f"(max {max(timings):.2f} s; alerts per run {raised}) — target < 2 s")

    lines += _without_next_step(db)

    small_q, small_items, small_t = _count_digest_queries(db, small)
    big_q, big_items, big_t = _count_digest_queries(db, big)
    lines.append(f"digest for a user with {small_items} items: {small_q} queries "
                 f"({small_t * 1000:.0f} ms)")
    lines.append(f"digest for a user with {big_items} items: {big_q} queries "
                 f"({big_t * 1000:.0f} ms) — "
                 + ("same number of queries" if small_q == big_q else "QUERIES GROW WITH ITEMS"))
    return lines
