"""Syncs take turns: a run waits for the one before, gives up saying why, locks nothing."""

from __future__ import annotations

import _thread
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from threading import Thread, Timer
from typing import Any

import pytest
from sqlmodel import Session, select

from app.core.db import session_scope, utcnow
from app.core.errors import SeatwiseError
from app.core.settings import Settings
from app.people.models import Account, Person
from app.sync import turns
from app.sync.models import ConnectorConfig, SyncRun
from app.sync.service import SyncResult, sync_connector
from app.sync.turns import SYNC_WAIT_SECONDS, SyncTurn, wait_for_turn
from connectors.sandbox.server import Sandboxes
from tests.sync.conftest import FAST, fault, inventory_state
from tests.sync.m365_connector import _add, _last_run


@pytest.fixture
def unsynced(committed_db: Any, settings: Settings, sandboxes: Sandboxes) -> Any:
    """A database holding the Microsoft 365 connector "m365", never synced."""
    _add(committed_db.engine, settings, "m365", sandboxes.configs["microsoft365"])
    return committed_db


@contextmanager
def _another_sync_applying(engine: Any) -> Iterator[None]:
    """Hold the sync turn as a sync in progress does, until the block ends."""
    with Session(engine) as other, other.begin():
        turn = SyncTurn(other)
        assert turn.try_take()
        try:
            yield
        finally:
            turn.release()


def _sqlite_only(engine: Any) -> Any:
    """The engine, on SQLite; skip the test elsewhere (SQLite locks writers out of it)."""
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL writers do not lock each other out of a table")
    return engine


@contextmanager
def _queued(
    engine: Any, settings: Settings, wait_seconds: float = SYNC_WAIT_SECONDS
) -> Iterator[tuple[Thread, list[SyncResult]]]:
    """A sync of "m365" started in a thread while another sync has the turn, seen waiting."""
    results: list[SyncResult] = []

    def run() -> None:
        results.append(
            sync_connector(
                engine=engine,
                settings=settings,
                name="m365",
                connector_options=FAST,
                wait_seconds=wait_seconds,
            )
        )

    with _another_sync_applying(engine):
        thread = Thread(target=run)
        thread.start()
        thread.join(timeout=0.5)
        assert thread.is_alive(), "the run should wait for its turn, not fail or go ahead"
        yield thread, results


def test_a_sync_waits_for_the_sync_before_it_then_applies_everything(
    unsynced: Any, settings: Settings
) -> None:
    """Syncs scheduled for the same minute queue up: none fails on the other's rows."""
    engine = unsynced.engine
    with _queued(engine, settings) as (thread, results):
        time.sleep(1)
        assert _last_run(engine).status == "running"  # recorded, and shown, while it waits
    thread.join(timeout=60)
    (result,) = results
    assert result.status == "succeeded", result.error
    assert result.counts["accounts_added"] > 0
    assert result.warnings[0].startswith("This run waited"), result.warnings
    assert "one sync applies at a time" in result.warnings[0]


def test_a_run_waiting_for_its_turn_leaves_the_database_to_other_writers(
    synced: Any, settings: Settings
) -> None:
    """Logins, API tokens and edits write while syncs queue: the wait holds no database lock."""
    engine = synced.engine
    with _queued(engine, settings) as (thread, results), Session(engine) as session:
        if engine.dialect.name == "sqlite":
            session.connection().exec_driver_sql("PRAGMA busy_timeout = 200")
        row = session.exec(select(ConnectorConfig)).one()
        row.schedule = "0 3 * * *"  # any write, with little patience
        session.add(row)
        session.commit()
        if engine.dialect.name == "sqlite":
            session.connection().exec_driver_sql("PRAGMA busy_timeout = 30000")
    thread.join(timeout=60)
    assert results[0].status == "succeeded", results[0].error


def test_a_sync_that_waited_in_vain_says_why_and_changes_nothing(
    unsynced: Any, settings: Settings
) -> None:
    engine = unsynced.engine
    before = inventory_state(engine)
    with _another_sync_applying(engine):
        result = sync_connector(engine=engine, settings=settings, name="m365", wait_seconds=0.3)
    assert result.status == "failed"
    assert result.error == (
        "connector 'm365' was not synced: another sync was still running after 0.3 s, and "
        "one sync applies at a time; this run changed nothing (try again when it has "
        "finished)"
    )
    assert inventory_state(engine) == before
    assert _last_run(engine).status == "failed"
    again = sync_connector(engine=engine, settings=settings, name="m365", connector_options=FAST)
    assert again.status == "succeeded", again.error
    assert not any(w.startswith("This run waited") for w in again.warnings)


def test_ctrl_c_while_waiting_for_the_turn_ends_the_run_at_once_recorded_as_interrupted(
    unsynced: Any, settings: Settings
) -> None:
    engine = unsynced.engine
    # Python's own Ctrl-C handler: a test runner's worker process may ignore SIGINT.
    handler = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with _another_sync_applying(engine):
            timer = Timer(0.5, _thread.interrupt_main)  # Ctrl-C, half a second into the wait
            timer.start()
            started = time.monotonic()
            with pytest.raises(KeyboardInterrupt):
                sync_connector(engine=engine, settings=settings, name="m365", wait_seconds=20)
            assert time.monotonic() - started < 5
    finally:
        signal.signal(signal.SIGINT, handler)
    run = _last_run(engine)
    assert (run.status, run.error) == ("failed", "interrupted")
    again = sync_connector(engine=engine, settings=settings, name="m365", connector_options=FAST)
    assert again.status == "succeeded", again.error  # the turn was given back


def test_recording_a_run_gives_up_when_sqlite_stays_locked(
    unsynced: Any, settings: Settings
) -> None:
    engine = _sqlite_only(unsynced.engine)
    with Session(engine) as other, other.begin():
        other.connection().exec_driver_sql("BEGIN IMMEDIATE")  # another writer, for long
        with pytest.raises(SeatwiseError) as caught:
            sync_connector(engine=engine, settings=settings, name="m365", wait_seconds=0.6)
    assert str(caught.value) == (
        "connector 'm365' was not synced: another writer kept the database locked for "
        "0.6 s; nothing was recorded (try again later)"
    )
    with Session(engine) as session:
        assert session.exec(select(SyncRun)).all() == []


def test_a_wait_for_a_writer_that_is_no_sync_is_not_blamed_on_the_queue(
    unsynced: Any, settings: Settings
) -> None:
    engine = _sqlite_only(unsynced.engine)
    with Session(engine) as other, other.begin():
        other.connection().exec_driver_sql("BEGIN IMMEDIATE")  # an import, say
        results: list[SyncResult] = []
        thread = Thread(
            target=lambda: results.append(
                sync_connector(
                    engine=engine, settings=settings, name="m365", connector_options=FAST
                )
            )
        )
        thread.start()
        time.sleep(1.5)
    thread.join(timeout=60)
    (result,) = results
    assert result.status == "succeeded", result.error
    assert result.warnings[0].startswith("This run waited 1."), result.warnings
    assert result.warnings[0].endswith(
        "for another writer to finish (the database takes one writer at a time)."
    )


def test_a_run_that_cannot_record_its_failure_still_returns_it(
    unsynced: Any, settings: Settings
) -> None:
    """Timed out while the sync before it writes (SQLite locked): failed, not an exception."""
    engine = _sqlite_only(unsynced.engine)
    with (
        _queued(engine, settings, wait_seconds=1.0) as (thread, results),
        Session(engine) as writer,  # the sync before it, writing
        writer.begin(),
    ):
        writer.connection().exec_driver_sql("BEGIN IMMEDIATE")
        thread.join(timeout=10)
        assert not thread.is_alive(), "the run should give up, not wait on the lock"
    (result,) = results
    assert result.status == "failed"
    assert result.error is not None and "was still running after 1.0 s" in result.error
    assert _runs(engine) == ["running"]  # left for the connector's next run to close


def _runs(engine: Any) -> list[str]:
    with Session(engine) as session:
        return [r.status for r in session.exec(select(SyncRun))]


def test_a_stopping_worker_ends_the_runs_queued_for_their_turn(
    unsynced: Any, settings: Settings
) -> None:
    engine = unsynced.engine
    try:
        with _queued(engine, settings) as (thread, results):
            turns.stop_waiting()  # what the worker's stop signal does
            thread.join(timeout=5)
            assert not thread.is_alive()
    finally:
        turns._STOPPING.clear()
    (result,) = results
    assert (result.status, result.error) == (
        "failed",
        "connector 'm365' was not synced: the process was stopped while the run waited for "
        "its turn; this run changed nothing",
    )
    assert _runs(engine) == ["failed"]


def test_waiting_for_the_turn_names_the_syncs_in_progress(synced: Any, settings: Settings) -> None:
    engine = synced.engine
    with session_scope(engine) as session:
        google = ConnectorConfig(name="google", kind="google_workspace", config={}, secrets="")
        session.add(google)
        session.flush()
        assert google.id is not None
        session.add(SyncRun(connector_id=google.id, status="running", started_at=utcnow()))
        connector_id = session.exec(
            select(ConnectorConfig.id).where(ConnectorConfig.name == "m365")
        ).one()
    assert connector_id is not None
    with (
        _another_sync_applying(engine),
        Session(engine) as session,
        session.begin(),
        pytest.raises(SeatwiseError) as caught,
    ):
        wait_for_turn(session, SyncTurn(session), connector_id, "m365", 0.3, 0.0)
    assert str(caught.value) == (
        "connector 'm365' was not synced: another sync (in progress: 'google') was still "
        "running after 0.3 s, and one sync applies at a time; this run changed nothing "
        "(try again when it has finished)"
    )


def test_two_connectors_synced_at_the_same_moment_both_succeed(
    committed_db: Any, settings: Settings, sandboxes: Sandboxes, small_pages: None
) -> None:
    """Two tenants of one vendor, synced at once: each would otherwise create the vendor
    and the same people the other had not committed yet, and one run failed on it."""
    engine = committed_db.engine
    for name in ("tenant_a", "tenant_b"):
        _add(engine, settings, name, sandboxes.configs["microsoft365"])
    fault(sandboxes, "microsoft365", slow_seconds=0.5, slow_page=2)  # the runs overlap
    results: dict[str, SyncResult] = {}

    def run(name: str) -> None:
        results[name] = sync_connector(
            engine=engine, settings=settings, name=name, connector_options=FAST
        )

    threads = [Thread(target=run, args=(n,)) for n in ("tenant_a", "tenant_b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert {n: r.status for n, r in results.items()} == {
        "tenant_a": "succeeded",
        "tenant_b": "succeeded",
    }, {n: r.error for n, r in results.items()}
    created = [r.counts["persons_created"] for r in results.values()]
    with Session(engine) as session:
        persons = session.exec(select(Person)).all()
        accounts = session.exec(select(Account)).all()
    assert sorted(created) == [0, len(persons)]
    assert len(accounts) == 2 * results["tenant_a"].counts["accounts"]
