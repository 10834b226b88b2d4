"""The sync service: one run of one connector, all or nothing.

Lifecycle: a ``SyncRun`` is committed as ``running`` in its own short transaction; then
one transaction, once no other sync is applying (one at a time), streams the
connector's records — fetched in a separate process (:mod:`app.sync.pipeline`) so
writing overlaps fetching — applies them in batches (:mod:`app.sync.apply`), marks what
disappeared, records the counts and commits. Any error rolls everything back and the run
is recorded ``failed`` with the reason in plain words, in a fresh transaction: the
previous inventory stays exactly as it was.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlmodel import Session, col, select

from analytics.seats import gc_paused
from app.core.db import lock_patience, session_scope, sqlite_patience, utcnow
from app.core.errors import SeatwiseError, check_choice
from app.core.leader import SCHEMA_LOCK_KEY, FileLock, file_lock_beside
from app.core.process import process_alive, process_gone, process_tag
from app.core.settings import Settings
from app.inventory.contracts import relink_contracts
from app.sync.apply import SnapshotApplier
from app.sync.configs import build_connector, get_connector_config, is_identity_provider
from app.sync.models import ConnectorConfig, SyncRun
from app.sync.pipeline import fetched
from connectors.base import ConnectorError


@dataclass
class SyncResult:
    """What one run did, for the CLI, the API and the scheduler."""

    connector: str
    run_id: int
    status: str
    counts: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "connector": self.connector,
            "run_id": self.run_id,
            "status": self.status,
            "counts": self.counts,
            "warnings": self.warnings,
            "error": self.error,
        }


def describe_error(exc: BaseException) -> str:
    """The reason a run failed, in plain words."""
    if isinstance(exc, ConnectorError | SeatwiseError):
        return str(exc) or type(exc).__name__
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    orig = getattr(exc, "orig", None)
    detail = str(orig or exc).strip().splitlines()
    return f"{type(exc).__name__}: {detail[0] if detail else ''}".rstrip(": ")


log = logging.getLogger(__name__)
RUN_STATUSES = ("running", "succeeded", "failed")
"""What a sync run's ``status`` can be (the ``status`` filter of its lists)."""
START_TRY_SECONDS = 0.25
"""How long one try at recording a run waits for SQLite's write lock before the next."""

T = TypeVar("T")


def _write_patiently(engine: Engine, write: Callable[[Session], T], wait: float) -> T:
    """``write`` in a transaction of its own, tried again while SQLite is locked.

    On SQLite a sync that is writing holds the database's write lock (for most of a
    first load), and a run recording its start or its failure must wait for it: for up
    to ``wait`` seconds, not the usual 30 s, in short tries so that Ctrl-C works between
    them (a wait inside the driver ignores it).

    Raises:
        OperationalError: SQLite was still locked after ``wait`` seconds.
    """
    deadline = time.monotonic() + wait
    while True:
        try:
            with session_scope(engine) as session:
                with sqlite_patience(session.connection(), START_TRY_SECONDS):
                    result = write(session)
                    session.flush()
                return result
        except OperationalError as exc:
            if not _lock_wait_ended(exc) or time.monotonic() >= deadline:
                raise


def _start_run(engine: Engine, name: str, wait: float) -> tuple[ConnectorConfig, int]:
    """Record the run as running (:func:`_write_patiently`).

    Raises:
        SeatwiseError: SQLite stayed locked for all of ``wait``; nothing was recorded.
    """

    def start(session: Session) -> tuple[ConnectorConfig, int]:
        row = get_connector_config(session=session, name=name)
        assert row.id is not None
        run = SyncRun(
            connector_id=row.id, status="running", started_at=utcnow(), process=process_tag()
        )
        session.add(run)
        session.flush()
        assert run.id is not None
        session.expunge(row)
        return row, run.id

    try:
        return _write_patiently(engine, start, wait)
    except OperationalError as exc:
        if not _lock_wait_ended(exc):
            raise
        raise SeatwiseError(
            f"connector {name!r} was not synced: another writer kept the database "
            f"locked for {_duration(wait)}; nothing was recorded (try again later)"
        ) from None


def _fail_run(engine: Engine, run_id: int, error: str, wait: float) -> None:
    """Record the run as failed (:func:`_write_patiently`).

    When SQLite stays locked for all of ``wait`` the row is left 'running', for the
    connector's next run to close (:func:`_close_interrupted`): the run's outcome still
    reaches its caller.
    """

    def fail(session: Session) -> None:
        run = session.get(SyncRun, run_id)
        if run is not None:
            run.status = "failed"
            run.error = error
            run.finished_at = utcnow()

    try:
        _write_patiently(engine, fail, wait)
    except OperationalError as exc:
        if not _lock_wait_ended(exc):
            raise
        log.warning(
            "run %s failed (%s) but stays 'running': the database stayed locked", run_id, error
        )


SYNC_LOCK = "seatwise-sync"
"""What the PostgreSQL advisory lock keeping one run per connector is named after, with
the connector's id (and the schema: :data:`app.core.leader.SCHEMA_LOCK_KEY`)."""


def _claim(session: Session, connector_id: int, name: str) -> None:
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


def _duration(seconds: float) -> str:
    if seconds >= 120:
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"


def _lock_wait_ended(exc: OperationalError) -> bool:
    """Whether the error is SQLite's "database is locked" (its busy wait ran out)."""
    orig = exc.orig
    return getattr(orig, "sqlite_errorcode", None) == 5 or "database is locked" in str(orig)


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
    """The right to apply a run, which one sync holds at a time (:func:`_wait_for_turn`).

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


def _wait_for_turn(
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
                    f"{_duration(wait)}, and one sync applies at a time; this run changed "
                    "nothing (try again when it has finished)"
                )
            time.sleep(TURN_POLL_SECONDS)
        queued += time.monotonic() - started
    if queued < WAIT_WORTH_SAYING:
        return None
    return f"This run waited {_duration(queued)} for {holder} to finish ({why})."


INTERRUPTED = (
    "interrupted: the process running it ended before it finished (killed, or the machine "
    "stopped); nothing of it was applied"
)
CLOSE_WAIT_SECONDS = 1.0
"""How long tidying up waits for the database's write lock (SQLite) before leaving it
for the next time."""
STALE_AFTER = timedelta(minutes=10)
"""A run 'running' for longer than this without holding its connector's claim is dead:
a live run claims its connector within moments of starting."""


def _close_interrupted(engine: Engine, connector_id: int | None, run_id: int | None) -> int:
    """Mark failed the runs left 'running' by a process that died; return how many.

    A run records its end itself, so one killed outright would stay 'running' (and its
    connector's page show a sync in progress) for good. A run whose process is known to
    be gone (:func:`app.core.process.process_gone`: it ran on this host) is closed at
    once. Otherwise age decides: called by a run holding the connector's claim (on
    PostgreSQL), an older run still 'running' cannot hold it, so its process is gone;
    runs younger than ``STALE_AFTER`` may be alive and about to claim (or be refused),
    so they are left alone, as are runs whose process is known to be alive. SQLite has
    no claim: a run of another host alive for that long beside this one, not yet
    writing, would be marked too, and records its own end over the mark when it
    finishes. "Nothing applied" is true of a dead run: runs apply all at once, at the end.

    ``connector_id`` None: every connector's runs, by process only (the runs listing
    tidies up this way before it reads; it holds no claim, so age proves nothing).
    Its own short transaction, so the rows are not held locked for this whole run; best
    effort, as tidying up must never fail the run or the page.
    """
    old = utcnow() - STALE_AFTER
    running = [col(SyncRun.status) == "running"]
    if connector_id is not None:
        running.append(col(SyncRun.connector_id) == connector_id)
    if run_id is not None:
        running.append(col(SyncRun.id) != run_id)
    try:
        with session_scope(engine) as session:
            # Look before writing: SQLite's write lock is only wanted when there is a
            # dead run to close (rarely), not on every run.
            found = session.exec(
                select(SyncRun.id, SyncRun.process, SyncRun.started_at).where(*running)
            ).all()
            dead = [
                i
                for i, process, started in found
                if process_gone(process)
                or (connector_id is not None and started < old and not process_alive(process))
            ]
            if not dead:
                return 0
            with lock_patience(session.connection(), CLOSE_WAIT_SECONDS):
                session.execute(
                    sa.update(SyncRun)
                    .where(col(SyncRun.id).in_(dead), col(SyncRun.status) == "running")
                    .values(status="failed", error=INTERRUPTED, finished_at=utcnow())
                )
            return len(dead)
    except SQLAlchemyError:
        return 0


def close_dead_runs(engine: Engine) -> int:
    """Close every run left 'running' by a process of this host that is gone."""
    return _close_interrupted(engine, None, None)


def sync_connector(
    *,
    engine: Engine,
    settings: Settings,
    name: str,
    connector_options: dict[str, Any] | None = None,
    on_record: Callable[[int], None] | None = None,
    wait_seconds: float = SYNC_WAIT_SECONDS,
) -> SyncResult:
    """Run one full sync of the connector ``name``; never raises for a connector failure.

    ``connector_options`` go to the connector's constructor (tests pass fast retries);
    ``on_record`` is called with the running record count every 1,000 records. A sync
    of another connector in progress is waited for, ``wait_seconds`` at most
    (:func:`_wait_for_turn`); one of the same connector on PostgreSQL refuses this run
    (:func:`_claim`), while on SQLite it is waited for like any other.
    """
    started = time.monotonic()
    row, run_id = _start_run(engine, name, wait_seconds)
    queued = time.monotonic() - started
    assert row.id is not None
    turn: SyncTurn | None = None
    try:
        connector = build_connector(row, settings, **(connector_options or {}))
        with Session(engine, expire_on_commit=False) as session, session.begin():
            _claim(session, row.id, name)
            _close_interrupted(engine, row.id, run_id)
            turn = SyncTurn(session)
            waited = _wait_for_turn(session, turn, row.id, name, wait_seconds, queued)
            stamp = utcnow()
            seen = 0
            # No cyclic garbage collection while records stream in: it builds millions
            # of small acyclic tuples (decoded rows, the key index), and each burst set
            # off collections walking the whole heap again, a quarter of its CPU time.
            with gc_paused(), fetched(connector) as chunks:
                # Read the stored key index while the first pages are on their way.
                applier = SnapshotApplier(
                    session=session,
                    connector_id=row.id,
                    kind=row.kind,
                    identity_provider=is_identity_provider(row),
                    stamp=stamp,
                    keep_index=connector.plain_values,
                    run_id=run_id,
                )
                for chunk in chunks:
                    applier.add_chunk(chunk)
                    if on_record is not None and (seen + chunk.count) // 1000 > seen // 1000:
                        on_record((seen + chunk.count) // 1000 * 1000)
                    seen += chunk.count
            counts, warnings = applier.finish()
            if waited:
                warnings = [waited, *warnings]
            # Contracts imported before their products first synced link up now.
            linked = relink_contracts(session=session)
            if linked:
                counts = {**counts, "contracts_linked": linked}
            run = session.get(SyncRun, run_id)
            assert run is not None
            run.status = "succeeded"
            run.counts = counts
            run.warnings = warnings
            run.finished_at = utcnow()
    except BaseException as exc:
        error = describe_error(exc)
        _fail_run(engine, run_id, error, wait_seconds)
        if not isinstance(exc, Exception):
            raise
        return SyncResult(connector=name, run_id=run_id, status="failed", error=error)
    finally:
        if turn is not None:  # after the failure is recorded, before the next sync writes
            turn.release()
    return SyncResult(
        connector=name, run_id=run_id, status="succeeded", counts=counts, warnings=warnings
    )


def connectors_to_sync(*, session: Session, names: Sequence[str]) -> list[str]:
    """The named connectors (each must exist), or every enabled one when none is named."""
    if names:
        return [get_connector_config(session=session, name=n).name for n in names]
    rows = session.exec(
        select(ConnectorConfig)
        .where(col(ConnectorConfig.enabled).is_(True))
        .order_by(col(ConnectorConfig.name))
    )
    return [r.name for r in rows]


def sync_many(
    *,
    engine: Engine,
    settings: Settings,
    names: Sequence[str] = (),
    connector_options: dict[str, Any] | None = None,
) -> list[SyncResult]:
    """Sync the named (or all enabled) connectors one after the other.

    Identity providers go first, so the persons they define exist (with their names
    and departments) before other sources' accounts are matched to them.
    """
    with session_scope(engine) as session:
        chosen = connectors_to_sync(session=session, names=names)
        idp = {
            r.name
            for r in session.exec(select(ConnectorConfig))
            if r.name in chosen and is_identity_provider(r)
        }
    ordered = sorted(chosen, key=lambda n: (n not in idp, chosen.index(n)))
    return [
        sync_connector(
            engine=engine, settings=settings, name=n, connector_options=connector_options
        )
        for n in ordered
    ]


def list_runs(
    *,
    session: Session,
    connector: str | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[tuple[SyncRun, str]], int]:
    """Sync runs, newest first, with their connector's name; and the total.

    Runs left 'running' by a process of this host that is gone are closed first
    (:func:`close_dead_runs`, a short transaction of its own), so no listing shows a
    sync in progress that nobody runs.

    Raises:
        NotFoundError: ``connector`` names no connector.
        InvalidInputError: ``status`` is none of :data:`RUN_STATUSES`.
    """
    bind = session.get_bind()
    if isinstance(bind, Engine):  # not inside a caller's own connection (tests)
        close_dead_runs(bind)
    from sqlalchemy import func

    check_choice(status or None, RUN_STATUSES, "status")
    query = select(SyncRun, ConnectorConfig.name).join(
        ConnectorConfig, col(ConnectorConfig.id) == col(SyncRun.connector_id)
    )
    if connector:
        row = get_connector_config(session=session, name=connector)
        query = query.where(col(SyncRun.connector_id) == row.id)
    if status:
        query = query.where(SyncRun.status == status)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(SyncRun.started_at).desc(), col(SyncRun.id).desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return [(run, name) for run, name in rows], int(total)


def run_view(run: SyncRun, connector: str) -> dict[str, Any]:
    """A run as the CLI and the API show it."""
    return {
        "id": run.id,
        "connector": connector,
        "status": run.status,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "counts": run.counts,
        "warnings": run.warnings,
        "error": run.error,
    }
