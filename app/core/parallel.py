"""Read-only pieces of work with a deadline each: what is not ready in time is left out, so
one slow query never holds up (or breaks) the page that asked for it.

On PostgreSQL the pieces run at the same time, each in its own app context and therefore
on its own connection: the caller waits for the slowest piece instead of the sum of them
all. SQLite (one desk, one file) runs them in turn on the caller's own connection.
"""

import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app

from app.extensions import db

# SQLite calls the deadline check every this many virtual-machine instructions: often
# enough to stop within milliseconds, rare enough to cost nothing measurable.
_SQLITE_CHECK_EVERY = 10_000


@dataclass
class Outcome:
    results: dict[Hashable, Any] = field(default_factory=dict)
    # The pieces that were not ready in time, in the order they were given.
    late: list[Hashable] = field(default_factory=list)

    def collect(self, key: Hashable, result: Callable[[], Any]) -> None:
        """The piece's result; late when the database stopped its query at the deadline."""
        try:
            self.results[key] = result()
        except sa.exc.DBAPIError as exc:
            if not _cancelled(exc):
                raise
            self.late.append(key)


class WorkerPool:
    """A thread pool made on first use and kept for the life of the process."""

    def __init__(self, name: str, workers: int):
        self._name, self._workers = name, workers
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=self._workers,
                                                    thread_name_prefix=self._name)
            return self._executor


def run_with_deadlines(pool: WorkerPool, tasks: dict[Hashable, Callable[[], Any]], *,
                       timeout: float, statement_timeout: float) -> Outcome:
    """Run every task with `timeout` seconds each; PostgreSQL also cancels any one query
    of a task after `statement_timeout` seconds."""
    if db.engine.dialect.name == "postgresql":
        return _at_once(pool, tasks, timeout, statement_timeout)
    return _in_turn(tasks, timeout)


def _at_once(pool, tasks, timeout, statement_timeout) -> Outcome:
    app = current_app._get_current_object()
    futures = {key: pool.executor().submit(_in_own_context, app, task, statement_timeout)
               for key, task in tasks.items()}
    wait(futures.values(), timeout=timeout)
    outcome = Outcome()
    for key, future in futures.items():
        # A task still running goes on in its thread until statement_timeout stops its
        # query; its result is not waited for. One that has not started is dropped.
        if not future.done():
            future.cancel()
            outcome.late.append(key)
            continue
        outcome.collect(key, future.result)
    _log_late(outcome, timeout)
    return outcome


def _in_own_context(app, task, statement_timeout: float):
    with app.app_context():
        try:
            db.session.execute(sa.text(
                f"SET LOCAL statement_timeout = {int(statement_timeout * 1000)}"))
            # The tasks already keep the cores busy; PostgreSQL's own parallel workers on
            # top only add start-up cost (dashboard, measured: p95 310 ms with, 250 without).
            db.session.execute(sa.text("SET LOCAL max_parallel_workers_per_gather = 0"))
            return task()
        finally:
            db.session.remove()


def _in_turn(tasks, timeout) -> Outcome:
    outcome = Outcome()
    for key, task in tasks.items():
        with _sqlite_deadline(timeout):
            outcome.collect(key, task)
    _log_late(outcome, timeout)
    return outcome


@contextmanager
def _sqlite_deadline(seconds: float):
    """SQLite stops a query with "interrupted" once the deadline has passed (a read is
    simply abandoned; the transaction it is in stays usable)."""
    raw = db.session.connection().connection.driver_connection
    deadline = time.monotonic() + seconds
    raw.set_progress_handler(lambda: time.monotonic() > deadline, _SQLITE_CHECK_EVERY)
    try:
        yield
    finally:
        raw.set_progress_handler(None, 0)


def _cancelled(exc: sa.exc.DBAPIError) -> bool:
    # PostgreSQL: query_canceled (SQLSTATE 57014, what statement_timeout raises);
    # SQLite: interrupted by the progress handler above.
    return (getattr(exc.orig, "sqlstate", None) == "57014"
            or str(exc.orig).strip() == "interrupted")


def _log_late(outcome: Outcome, timeout: float) -> None:
    if outcome.late:
        current_app.logger.warning("not ready within %.1f s, left out: %s", timeout,
                                   ", ".join(map(str, outcome.late)))
