"""Which sync may write when: one run per connector, and one sync applying at a time.

Two runs writing at once would each decide from what the other had not committed yet
and the later one fail on a duplicate, naming a table rather than the cause. So a run
claims its connector (:func:`claim`) and then waits for its turn
(:func:`wait_for_turn`) before it applies anything.
"""

from __future__ import annotations

import threading
import time

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.core.errors import SeatwiseError
from app.core.leader import SCHEMA_LOCK_KEY, FileLock, file_lock_beside
from app.sync.models import ConnectorConfig, SyncRun
from app.sync.runs import duration

SYNC_LOCK = "seatwise-sync"
"""What the PostgreSQL advisory lock keeping one run per connector is named after, with
the connector's id (and the schema: :data:`app.core.leader.SCHEMA_LOCK_KEY`)."""


def claim(session: Session, connector_id: int, name: str) -> None:
    """Refuse to run beside another run of the same connector.

    On PostgreSQL two runs could otherwise interleave their writes, and the later one
    would fail on a conflict that names a table rather than the cause. The lock is an
    advisory one held by the run's transaction, so a run that dies releases it. SQLite
    admits one writer at a time: a second run waits for the first there.

    Raises:
        SeatwiseError: Another run of this connector holds the lock.
    """
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        return
    claimed = conn.execute(
        sa.text(f"SELECT pg_try_advisory_xact_lock({SCHEMA_LOCK_KEY})"),
        {"name": f"{SYNC_LOCK}:{connector_id}"},
    ).scalar()
    if not claimed:
        raise SeatwiseError(
            f"connector {name!r} is already being synced by another run; this run "
            "changed nothing (try again when that one has finished)"
        )


TURN_LOCK = "seatwise-sync-turn"
"""What the PostgreSQL advisory lock letting one sync apply at a time is named after."""
SYNC_WAIT_SECONDS = 15 * 60.0
"""How long a run waits for its turn (another sync to finish) before it gives up."""
WAIT_WORTH_SAYING = 1.0
"""A wait for another sync at least this long (seconds) is noted in the run's warnings."""


def _others_running(session: Session, connector_id: int) -> str:
    """Who a waiting run waits for, in words: the other connectors with a run in progress.

    Some of those may be queued themselves; which one holds the turn is not recorded
    anywhere a waiting run could read it.
    """
    names = session.exec(
        select(ConnectorConfig.name)
        .join(SyncRun, col(SyncRun.connector_id) == col(ConnectorConfig.id))
        .where(col(SyncRun.status) == "running", col(SyncRun.connector_id) != connector_id)
        .distinct()
        .order_by(col(ConnectorConfig.name))
    ).all()
    if not names:
        return "another sync"
    return "another sync (in progress: " + ", ".join(repr(n) for n in names) + ")"


class SyncTurn:
    """The right to apply a run, which one sync holds at a time (:func:`wait_for_turn`).

    PostgreSQL: an advisory lock of the run's transaction, gone when it ends. SQLite: a
    ``flock`` on a file beside the database, held from before the run's transaction
    until after its end is recorded. Not SQLite's own write lock: holding that for the
    whole run (the fetch included) kept every other writer out — logins, API tokens
    noting their use, the analysis after a scheduled sync — for as long as the vendor
    took to answer; the turn keeps out only other syncs, and the run takes the write
    lock when it first writes, as any writer does.
    """

    def __init__(self, session: Session) -> None:
        self._conn = session.connection()
        self._file: FileLock | None = None
        if self._conn.dialect.name == "sqlite":
            self._file = file_lock_beside(self._conn.engine, ".sync.lock")

    def try_take(self) -> bool:
        """Take the turn if no other sync has it; True when this run holds it."""
        if self._file is not None:
            return self._file.try_acquire()
        if self._conn.dialect.name != "postgresql":
            return True
        sql = f"SELECT pg_try_advisory_xact_lock({SCHEMA_LOCK_KEY})"
        return bool(self._conn.execute(sa.text(sql), {"name": TURN_LOCK}).scalar())

    def release(self) -> None:
        """Give the turn back (the file lock; PostgreSQL's ends with the transaction)."""
        if self._file is not None:
            self._file.release()


_STOPPING = threading.Event()


def stop_waiting() -> None:
    """Make the runs of this process still waiting for their turn give up: it is stopping.

    A run that has its turn goes on to its end (the worker waits for it); one queued
    behind it would otherwise take its turn, and run whole, after the stop signal.
    """
    _STOPPING.set()


TURN_POLL_SECONDS = 0.1
"""How often a waiting run asks for the turn: polling keeps the wait interruptible
(Ctrl-C, a stop signal) where a blocking wait inside the database driver is not."""


def wait_for_turn(
    session: Session, turn: SyncTurn, connector_id: int, name: str, wait: float, queued: float
) -> str | None:
    """Queue behind any other sync until it has committed: one sync applies at a time.

    Two syncs writing at once would each decide from what the other had not committed
    yet (a vendor, a person, an account to create) and the later one fail on a
    duplicate, naming a table rather than the cause: syncs of several connectors
    scheduled for the same minute did. So a run waits for the one before it, up to
    ``wait`` seconds in all, ``queued`` of which it already spent recording itself (on
    SQLite, a sync's writes hold the database's write lock). Returns the warning to
    record when the wait was long enough to notice.

    Raises:
        SeatwiseError: The other sync still had the turn when the time was up.
    """
    holder, why = "another writer", "the database takes one writer at a time"
    if not turn.try_take():
        why = "one sync applies at a time"
        holder = _others_running(session, connector_id)
        started = time.monotonic()
        while not turn.try_take():
            if _STOPPING.is_set():
                raise SeatwiseError(
                    f"connector {name!r} was not synced: the process was stopped while the "
                    "run waited for its turn; this run changed nothing"
                )
            if queued + time.monotonic() - started >= wait:
                raise SeatwiseError(
                    f"connector {name!r} was not synced: {holder} was still running after "
                    f"{duration(wait)}, and one sync applies at a time; this run changed "
                    "nothing (try again when it has finished)"
                )
            time.sleep(TURN_POLL_SECONDS)
        queued += time.monotonic() - started
    if queued < WAIT_WORTH_SAYING:
        return None
    return f"This run waited {duration(queued)} for {holder} to finish ({why})."
