"""Derived columns (read models) recomputed in bulk.

The app keeps copies such as the trajectory's milestone dates in step on every flush
(app/participants/milestones.py). A bulk loader that writes the records of truth with SQL
(the regional benchmark data set, a migration that adds a copy) bypasses those hooks, so it
calls `refresh_all(conn)` afterwards and the copies agree with what the app would have kept.
"""

from collections.abc import Callable

from sqlalchemy.engine import Connection


def _refreshers() -> list[Callable[[Connection], None]]:
    # Imported here, not at module level: each refresher lives next to the hook that keeps
    # its column in step during normal use, and those modules import the models.
    from app.participants.current import refresh_newest_at_location

    return [refresh_newest_at_location]


def refresh_all(conn: Connection) -> None:
    """Recompute every derived column from the records of truth, in set-based SQL."""
    for refresh in _refreshers():
        refresh(conn)
