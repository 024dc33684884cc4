# ruff: noqa: S608  (SQL built from the benchmarks' own constants only, never from input)
"""What more than one benchmark fills the same way."""

import sqlalchemy as sa


def locations_with_coordinators(conn, locations: int, now_sql: str) -> None:
    """Locations 1..n, each with one coordinator (user id = location id)."""
    conn.execute(sa.text(f"""
        INSERT INTO locations (name, municipality, active, created_at)
        SELECT 'Bibliotheek ' || i, 'Gemeente ' || (i % 10), true, {now_sql}
        FROM generate_series(1, {locations}) AS i"""))
    conn.execute(sa.text(f"""
        INSERT INTO users (email, name, role, active, email_preference, created_at)
        SELECT 'coordinator' || i || '@bench.example', 'Coordinator ' || i, 'coordinator',
               true, 'digest', {now_sql}
        FROM generate_series(1, {locations}) AS i"""))
    conn.execute(sa.text(f"""
        INSERT INTO user_locations (user_id, location_id)
        SELECT i, i FROM generate_series(1, {locations}) AS i"""))
