"""The reports dashboard over the regional data set, rendered as an admin sees it.

A copy of the regional data set (tests/bench/regional.py: 100,000 trajectories at 40
locations, referral dates spread over years up to 23 November 2026, so a good part of them
fall in the 2026 cohort), given by tests/bench/__main__.py.
"""

import os
import statistics
import time

import sqlalchemy as sa

from . import regional

REGIONAL = True
RUNS = 20
PERIOD = {"start": "2026-01-01", "end": "2026-12-31"}
PASSWORD = regional.PASSWORD


def run(app) -> list[str]:
    from app.auth.models import User
    from app.extensions import db

    lines = []
    counts = db.session.execute(sa.text(
        "SELECT (SELECT count(*) FROM trajectories), (SELECT count(*) FROM match_sessions),"
        " (SELECT count(*) FROM checkins)")).one()
    db.session.rollback()
    lines.append(f"data: {counts[0]:,} trajectories, {counts[1]:,} sessions, "
                 f"{counts[2]:,} check-ins (the regional data set)")
    admin_email, coordinator_email = regional.ADMIN_EMAIL, regional.COORDINATOR_LOCATION_EMAIL
    admin_name, coordinator_name = db.session.execute(sa.select(User.name).where(
        User.email.in_([admin_email, coordinator_email])).order_by(User.id)).scalars().all()
    db.session.rollback()
    lines.append(_measure(app, db, admin_email, f"all {regional.LOCATIONS} locations, as admin",
                          f"Ingelogd als {admin_name} "))
    lines.append(_measure(app, db, coordinator_email, "one location, as its coordinator",
                          f"Ingelogd als {coordinator_name} "))
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
