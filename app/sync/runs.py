"""Sync run records: a run's start and failure, runs a dead process left open, the listing.

A run's ``SyncRun`` row is written in short transactions of its own, apart from the run's
one transaction (:mod:`app.sync.service`): it is recorded ``running`` before that
transaction begins, and ``failed`` after it rolled back, so a run that changed nothing
still leaves its outcome behind.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlmodel import Session, col, select

from app.core.db import lock_patience, session_scope, sqlite_patience, utcnow
from app.core.errors import SeatwiseError, check_choice
from app.core.process import process_alive, process_gone, process_tag
from app.sync.configs import get_connector_config
from app.sync.models import ConnectorConfig, SyncRun
from connectors.base import ConnectorError


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


def start_run(engine: Engine, name: str, wait: float) -> tuple[ConnectorConfig, int]:
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
            f"locked for {duration(wait)}; nothing was recorded (try again later)"
        ) from None


def fail_run(engine: Engine, run_id: int, error: str, wait: float) -> None:
    """Record the run as failed (:func:`_write_patiently`).

    When SQLite stays locked for all of ``wait`` the row is left 'running', for the
    connector's next run to close (:func:`close_interrupted`): the run's outcome still
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


def duration(seconds: float) -> str:
    """A wait in words ("90 s", "15 minutes"), for the messages of runs that waited."""
    if seconds >= 120:
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"


def _lock_wait_ended(exc: OperationalError) -> bool:
    """Whether the error is SQLite's "database is locked" (its busy wait ran out)."""
    orig = exc.orig
    return getattr(orig, "sqlite_errorcode", None) == 5 or "database is locked" in str(orig)


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


def close_interrupted(engine: Engine, connector_id: int | None, run_id: int | None) -> int:
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
    return close_interrupted(engine, None, None)


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
