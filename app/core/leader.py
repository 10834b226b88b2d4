"""Leader election: exactly one process runs the scheduled jobs at a time.

PostgreSQL: a session-level advisory lock held on a dedicated connection; it is
released by the server when the holder's connection dies (or, the holder's machine
gone, when the server's keepalives find nobody there), so a follower polling every
``poll_seconds`` takes over within a minute. SQLite (one machine): an exclusive
``flock`` on a file beside the database, released by the kernel when the process dies.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

ADVISORY_LOCK = "seatwise-scheduler"
"""What the scheduler's advisory lock is named after (:data:`SCHEMA_LOCK_KEY`)."""
SCHEMA_LOCK_KEY = (
    "hashtextextended(CAST(:name AS text) || ':' || coalesce(current_schema(), ''), 0)"
)
"""SQL for the PostgreSQL advisory-lock key of the lock named ``:name`` in this schema:
advisory locks are database-wide, and two installations may share a database in
different schemas."""


KEEPALIVE_SETTINGS = {
    "tcp_keepalives_idle": 10,
    "tcp_keepalives_interval": 5,
    "tcp_keepalives_count": 4,
}
"""TCP keepalives the server sends on the lock's connection (seconds, probes): a leader
whose machine died (power, kernel, network gone) never closes its connection, and with
the kernel's defaults the server would hold its lock for over two hours; with these it
drops the connection, and the lock, within half a minute."""


class LeaderLock(Protocol):
    """A lock only one process can hold."""

    def try_acquire(self) -> bool:
        """Take the lock if free; True when this process holds it."""

    def still_held(self) -> bool:
        """Whether this process still holds the lock (its connection is alive)."""

    def release(self) -> None:
        """Give the lock up."""


class PostgresAdvisoryLock:
    """``pg_try_advisory_lock`` on a connection kept open while leading."""

    def __init__(self, engine: Engine, name: str = ADVISORY_LOCK) -> None:
        self.engine = engine
        self.name = name
        self._conn: Connection | None = None

    def try_acquire(self) -> bool:
        if self._conn is not None:
            return self.still_held()
        conn = self.engine.connect()
        try:
            for name, value in KEEPALIVE_SETTINGS.items():
                conn.execute(sa.text(f"SET {name} = {int(value)}"))
            got = bool(
                conn.execute(
                    sa.text(f"SELECT pg_try_advisory_lock({SCHEMA_LOCK_KEY})"), {"name": self.name}
                ).scalar()
            )
            conn.commit()
        except Exception:
            conn.close()
            raise
        if not got:
            conn.close()
            return False
        self._conn = conn
        return True

    def still_held(self) -> bool:
        if self._conn is None:
            return False
        try:
            self._conn.execute(sa.text("SELECT 1")).scalar()
            self._conn.commit()
        except Exception:
            self._conn = None
            return False
        return True

    def release(self) -> None:
        if self._conn is None:
            return
        try:
            self._conn.execute(
                sa.text(f"SELECT pg_advisory_unlock({SCHEMA_LOCK_KEY})"), {"name": self.name}
            )
            self._conn.commit()
        finally:
            self._conn.close()
            self._conn = None


class FileLock:
    """An exclusive, non-blocking ``flock`` on a lock file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[str] | None = None

    def try_acquire(self) -> bool:
        if self._handle is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._handle = handle
        return True

    def still_held(self) -> bool:
        return self._handle is not None

    def release(self) -> None:
        if self._handle is None:
            return
        fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
        self._handle.close()
        self._handle = None


def file_lock_beside(engine: Engine, suffix: str) -> FileLock | None:
    """A lock file beside a file-backed SQLite database (``seatwise.db`` → ``seatwise{suffix}``);
    None for an in-memory one."""
    database = engine.url.database
    if not database or database == ":memory:":
        return None
    return FileLock(Path(database).resolve().with_suffix(suffix))


def leader_lock_for(engine: Engine) -> LeaderLock:
    """The right lock for the engine's backend."""
    if engine.dialect.name == "postgresql":
        return PostgresAdvisoryLock(engine)
    lock = file_lock_beside(engine, ".scheduler.lock")
    if lock is None:
        raise ValueError("the scheduler needs a file-backed SQLite database (or PostgreSQL)")
    return lock
