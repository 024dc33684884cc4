"""Backups of a SQLite installation (`make run` on one machine keeps everything in one file).

SQLite's online backup API copies the database page by page under a read lock, so the copy
is consistent even while the app writes. PostgreSQL has its own tools (pg_dump and
pg_restore, see README "Backups"); the commands say so instead of half-doing it.
"""

import contextlib
import os
import sqlite3
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from app.core.private_files import create_private_file, private_folder
from app.core.timeutil import local_datetime
from app.extensions import db

PREFIX, SUFFIX = "houvast-", ".sqlite"
# Filled by the migrations themselves: a fresh, migrated instance already has these rows.
MIGRATION_TABLES = {"alembic_version", "reference_items", "followup_rules"}
POSTGRES_BACKUP = ("PostgreSQL: maak een backup met pg_dump --format=custom "
                   "--file=houvast.dump \"$DATABASE_URL\" (zie README, 'Backups').")
POSTGRES_RESTORE = ("PostgreSQL: zet een backup terug met pg_restore --no-owner "
                    "--dbname=\"$DATABASE_URL\" houvast.dump (zie README, 'Backups').")


class BackupError(Exception):
    pass


def backup(folder: Path, *, keep: int, now: datetime) -> Path:
    """Write a copy of the database into `folder`; keep the newest `keep` copies there."""
    if db.engine.dialect.name != "sqlite":
        raise BackupError(POSTGRES_BACKUP)
    # A folder an admin chose may be shared on purpose; a new one is private, and each
    # copy is (it holds every participant).
    private_folder(folder, tighten=False)
    target = _free_name(folder, f"{PREFIX}{local_datetime(now):%Y%m%d-%H%M%S}")
    # Under another name until complete: a crash mid-copy never leaves a "backup" that
    # would count towards `keep` and push out a good one.
    draft = target.with_name(target.name + ".part")
    # Made owner-only before SQLite opens it (SQLite would make it 0644); a draft left by a
    # crash goes first. os.replace keeps the mode.
    with contextlib.suppress(FileNotFoundError):
        draft.unlink()
    os.close(create_private_file(draft))
    source = db.engine.raw_connection()
    try:
        copy = sqlite3.connect(draft)
        try:
            source.driver_connection.backup(copy)
        finally:
            copy.close()
    finally:
        source.close()
    os.replace(draft, target)
    for old in backups(folder)[:-keep]:
        old.unlink()
    return target


def backups(folder: Path) -> list[Path]:
    """The backups in `folder`, oldest first (the names sort by time)."""
    return sorted(folder.glob(f"{PREFIX}*{SUFFIX}"))


def _free_name(folder: Path, stem: str) -> Path:
    target, n = folder / f"{stem}{SUFFIX}", 1
    while target.exists():
        n += 1
        target = folder / f"{stem}-{n}{SUFFIX}"
    return target


def restore(file: Path) -> None:
    """Bring the backup `file` back into this instance's database, which must be empty
    (new, or only migrated): a restore never overwrites work."""
    if db.engine.dialect.name != "sqlite":
        raise BackupError(POSTGRES_RESTORE)
    source = _open_backup(file)
    try:
        if not _is_empty():
            raise BackupError("Deze installatie heeft al gegevens; zet een backup alleen "
                              "terug in een lege installatie.")
        db.session.remove()
        db.engine.dispose()
        target = db.engine.raw_connection()
        try:
            source.backup(target.driver_connection)
        finally:
            target.close()
    finally:
        source.close()
    db.engine.dispose()


def _open_backup(file: Path) -> sqlite3.Connection:
    if not file.is_file():
        raise BackupError(f"{file} bestaat niet.")
    source = sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro", uri=True)
    try:
        ok = source.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        houvast = source.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                                 "name = 'alembic_version'").fetchone() is not None
    except sqlite3.DatabaseError:
        ok = houvast = False
    if not (ok and houvast):
        source.close()
        raise BackupError(f"{file} is geen bruikbare Houvast-backup.")
    return source


def _is_empty() -> bool:
    present = set(sa.inspect(db.engine).get_table_names())
    for table in db.metadata.sorted_tables:
        if table.name in present and table.name not in MIGRATION_TABLES:
            if db.session.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first():
                return False
    return True
