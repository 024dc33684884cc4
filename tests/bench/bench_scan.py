# ruff: noqa: S608  (SQL built from the constants of this file only, never from input)
"""The hourly scan over 100,000 trajectories and 1,000,000 check-ins, and the digest's queries.

On a copy of the regional data set (tests/bench/regional.py), at its NOW (Monday 23 November
2026, 10:00 in Amsterdam). Two coordinators with 5 and 500 overdue check-ins are added in
locations of their own for the digest's query count. Times in the tables are naive UTC, as
UTCDateTime stores them.
"""

import statistics
import time
from datetime import timedelta

import sqlalchemy as sa

from . import regional

REGIONAL = True
NOW = regional.NOW
NOW_SQL = regional.NOW_SQL
TODAY_SQL = regional.TODAY_SQL


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
    all of them, after 1% of the open trajectories lost their planned check-in."""
    from app.checkins.nextstep import without_next_step_query

    db.session.execute(sa.text(
        "UPDATE checkins SET status = 'cancelled' WHERE status = 'planned' "
        "AND trajectory_id % 100 = 1"))
    db.session.execute(sa.text("ANALYZE checkins"))
    db.session.commit()
    lines = []
    for label, locations in (("one location", [2]), (f"all {regional.LOCATIONS} locations", None)):
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
    with db.engine.begin() as conn:
        small, big = _add_digest_users(conn)
        conn.execute(sa.text("ANALYZE"))
    counts = db.session.execute(sa.text(
        "SELECT (SELECT count(*) FROM trajectories), (SELECT count(*) FROM checkins)")).one()
    db.session.commit()
    lines.append(f"data: {counts[0]:,} trajectories, {counts[1]:,} check-ins "
                 f"(the regional data set)")

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
