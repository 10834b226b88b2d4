"""Sync runs on record: one refused beside a run in progress, runs of dead processes closed."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from app.core.db import utcnow
from app.core.process import _started, process_tag
from app.core.settings import Settings
from app.sync.models import ConnectorConfig, SyncRun
from app.sync.runs import INTERRUPTED, STALE_AFTER, list_runs
from app.sync.service import sync_connector
from app.sync.turns import claim
from tests.sync.conftest import FAST, inventory_state
from tests.sync.m365_connector import _last_run


def test_a_run_beside_another_run_of_the_same_connector_is_refused_by_name(
    synced: Any, settings: Settings
) -> None:
    engine = synced.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite admits one writer at a time: a second run waits for the first")
    before = inventory_state(engine)
    with Session(engine) as session:
        connector_id = session.exec(select(ConnectorConfig.id)).one()
    with Session(engine) as other, other.begin():  # stands in for a run in progress
        claim(other, connector_id, "m365")
        result = sync_connector(
            engine=engine, settings=settings, name="m365", connector_options=FAST
        )
    assert result.status == "failed"
    assert result.error is not None and "'m365' is already being synced" in result.error
    assert _last_run(engine).status == "failed"
    assert inventory_state(engine) == before
    again = sync_connector(engine=engine, settings=settings, name="m365", connector_options=FAST)
    assert again.status == "succeeded", again.error


def test_a_run_left_running_by_a_dead_process_is_closed_by_the_next_run(
    synced: Any, settings: Settings
) -> None:
    engine = synced.engine
    with Session(engine) as session:
        connector_id = session.exec(select(ConnectorConfig.id)).one()
        assert connector_id is not None
        long_ago = utcnow() - STALE_AFTER - timedelta(seconds=1)
        dead = SyncRun(connector_id=connector_id, status="running", started_at=long_ago)
        # Started a moment ago: maybe alive, about to claim the connector (or be refused).
        young = SyncRun(connector_id=connector_id, status="running", started_at=utcnow())
        session.add_all([dead, young])
        session.commit()
        dead_id, young_id = dead.id, young.id
    result = sync_connector(engine=engine, settings=settings, name="m365", connector_options=FAST)
    assert result.status == "succeeded", result.error
    with Session(engine) as session:
        closed = session.get(SyncRun, dead_id)
        assert closed is not None and closed.status == "failed"
        assert closed.error == INTERRUPTED and closed.finished_at is not None
        left = session.get(SyncRun, young_id)
        assert left is not None and left.status == "running" and left.error is None


def _tag_of_a_process_that_ended() -> str:
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    tag = f"{socket.gethostname()[:150]}:{finished.pid}:{_started(finished.pid)}"
    finished.wait()
    return tag


def test_a_run_whose_process_is_gone_is_closed_at_once_and_a_live_ones_never(
    synced: Any, settings: Settings
) -> None:
    """A run of this host whose process ended (killed, crashed) is closed by the next
    listing or run at once, whatever its age; one whose process lives, or of another
    host, is left to the age rule."""
    engine = synced.engine
    long_ago = utcnow() - STALE_AFTER - timedelta(seconds=1)
    with Session(engine) as session:
        connector_id = session.exec(select(ConnectorConfig.id)).one()
        assert connector_id is not None
        rows = {
            "killed": SyncRun(connector_id=connector_id, status="running",
                              started_at=utcnow(), process=_tag_of_a_process_that_ended()),
            "alive": SyncRun(connector_id=connector_id, status="running",
                             started_at=long_ago, process=process_tag()),
            "elsewhere": SyncRun(connector_id=connector_id, status="running",
                                 started_at=utcnow(), process="another-host:1:1"),
        }  # fmt: skip
        session.add_all(rows.values())
        session.commit()
        ids = {name: row.id for name, row in rows.items()}
    with Session(engine) as session:
        list_runs(session=session, connector="m365")
    with Session(engine) as session:
        found = {name: session.get(SyncRun, i) for name, i in ids.items()}
        status = {name: run.status if run else None for name, run in found.items()}
    assert status == {"killed": "failed", "alive": "running", "elsewhere": "running"}
    result = sync_connector(engine=engine, settings=settings, name="m365", connector_options=FAST)
    assert result.status == "succeeded", result.error
    with Session(engine) as session:
        alive = session.get(SyncRun, ids["alive"])
        killed = session.get(SyncRun, ids["killed"])
    assert alive is not None and alive.status == "running"  # old, but its process lives
    assert killed is not None and killed.error == INTERRUPTED


def test_a_sync_records_the_process_running_it(synced: Any, settings: Settings) -> None:
    result = sync_connector(
        engine=synced.engine, settings=settings, name="m365", connector_options=FAST
    )
    with Session(synced.engine) as session:
        run = session.get(SyncRun, result.run_id)
    assert run is not None and run.process == process_tag()
