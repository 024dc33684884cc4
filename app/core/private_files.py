"""Files and folders with personal data, readable by the owner (the app's user) only.

The SQLite database, the secret key, the outbox (mails and messages to participants, with
names and phone numbers) and the backups hold what the AVG protects. Other accounts on the
same machine have no business reading them, whatever the umask of the shell or service
manager that started the app. Each file is created with its mode in the same system call
(os.open), never chmod-ed afterwards: a file that is readable for a moment is readable.
A global umask would do the same, but it also changes every file a library writes in a web
process, and it is one process-wide setting that a thread cannot set for itself.
"""

import contextlib
import os
import stat
from pathlib import Path

from sqlalchemy.engine import make_url

FILE_MODE = 0o600
FOLDER_MODE = 0o700
# Group or others may read, write or enter.
_OPEN_TO_OTHERS = 0o077


def private_folder(path: Path, *, tighten: bool = True) -> Path:
    """Make `path` (with missing parents) a folder only the owner may enter.

    With `tighten`, an existing folder of ours that others may enter is closed too: a folder
    the app keeps for itself (instance, outbox) made by an older version stays open
    otherwise. Not for a folder an admin chose (the backup folder may be shared on purpose:
    its files are private anyway). A folder of another account is left as it is.
    """
    path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    if tighten:
        mode = path.stat().st_mode
        if stat.S_IMODE(mode) & _OPEN_TO_OTHERS:
            with contextlib.suppress(PermissionError):
                path.chmod(stat.S_IMODE(mode) & ~_OPEN_TO_OTHERS)
    return path


def create_private_file(path: Path) -> int:
    """Create `path` (it must not exist yet) readable and writable by the owner only, and
    return its open file descriptor for writing."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)


def write_private(path: Path, data: bytes) -> Path:
    """Write `data` into the new file `path`, which only the owner may read."""
    with os.fdopen(create_private_file(path), "wb") as file:
        file.write(data)
    return path


def sqlite_file(url: str, instance: Path) -> Path | None:
    """The database file a SQLite URL names; None for any other database, for an in-memory
    one and for SQLite's own URI form (which may name no file at all). A relative path is
    in the instance folder, as Flask-SQLAlchemy reads it."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:") or "uri" in parsed.query:
        return None
    return instance / database  # an absolute `database` wins over `instance`


def private_sqlite_file(url: str, instance: Path) -> Path | None:
    """Create the SQLite database file of `url` before SQLite does, owner-only.

    SQLite makes a missing file with mode 0644 (minus the umask); an empty file is a valid,
    empty database, so making it ourselves first loses nothing. SQLite gives its journal and
    WAL files the mode of the database file, so they are private too. An existing file is
    left as it is (an admin may have set its mode), and a missing folder too (SQLite says so).
    """
    path = sqlite_file(url, instance)
    if path is None or not path.parent.is_dir():
        return path
    with contextlib.suppress(FileExistsError):
        os.close(create_private_file(path))
    return path
