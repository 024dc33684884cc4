"""Ranking one waiting trajectory against 5,000 volunteers (target: under 100 ms).

On a copy of the regional data set (tests/bench/regional.py: 5,000 volunteers at 40
locations, with availability, domains, languages, VOG dates and capacities, and some 47,000
open and ended matches). The trajectory is the first waiting one of the heavy coordinator
(locations 1-4), with its intake and learning goals. Each run starts from a cold ORM session
(the trajectory is loaded again) and does what the "Koppel een vrijwilliger" page does: load
the need, load every candidate, score and sort, and put the reasons in words for the first
page of 20.
"""

import statistics
import time

import sqlalchemy as sa

from . import regional

REGIONAL = True
RUNS = 15
TODAY = regional.TODAY


def _trajectory_id(db) -> int:
    trajectory_id = db.session.scalar(sa.text(
        "SELECT t.id FROM trajectories t JOIN intakes i ON i.trajectory_id = t.id "
        "WHERE t.status = 'waiting' AND t.owner_id = :owner ORDER BY t.id LIMIT 1"),
        {"owner": regional.COORDINATOR_HEAVY_ID})
    db.session.rollback()
    return trajectory_id


def run(app) -> list[str]:
    from app.extensions import db
    from app.matching import service as matching
    from app.participants.models import Trajectory
    from app.volunteers.models import volunteer_locations

    trajectory_id = _trajectory_id(db)

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
