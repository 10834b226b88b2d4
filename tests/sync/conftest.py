"""Fixtures for sync tests: the three vendor sandboxes over HTTPS, and quick retries."""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from app.core.settings import Settings
from app.sync.service import sync_connector
from connectors import microsoft365
from connectors.http import RetryPolicy
from connectors.sandbox.fault_switches import reset
from connectors.sandbox.server import Sandboxes, start_sandboxes
from tests.sync.m365_connector import _add

SECRET_KEY = "test-secret-key-" + "x" * 32
FAST = {
    "retry": RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_cap=0.02, budget=5),
    "sleep": lambda _seconds: None,
}


@pytest.fixture(scope="session")
def sandboxes() -> Iterator[Sandboxes]:
    """A small company served by all three simulators for the whole session."""
    boxes = start_sandboxes(
        seed=11,
        size=60,
        tls_dir=Path(tempfile.mkdtemp(prefix="sync-tls-")),
        today=date(2026, 11, 25),
    )
    yield boxes
    boxes.stop()


@pytest.fixture(autouse=True)
def _healthy_sandboxes(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test starts and ends with every fault switched off."""
    yield
    if "sandboxes" in request.fixturenames:
        boxes: Sandboxes = request.getfixturevalue("sandboxes")
        for sim in boxes.simulators.values():
            reset(sim.faults)


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Graph pages of 20 users, so a 60-person tenant has several pages."""
    monkeypatch.setattr(microsoft365, "PAGE_SIZE", 20)


@pytest.fixture
def settings(committed_db: Any) -> Settings:
    """Settings for the test database, with short HTTP timeouts."""
    return Settings(
        database_url=committed_db.url,
        secret_key=SECRET_KEY,
        environment="test",
        http_timeout=3,
        http_time_budget=5,
    )


def inventory_state(engine: sa.engine.Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every inventory row (products, persons, accounts, assignments), for exact comparison."""
    tables = ["product", "person", "person_alias", "account", "assignment", "application"]
    out = {}
    with engine.connect() as conn:
        for name in tables:
            rows = conn.execute(sa.text(f"SELECT * FROM {name} ORDER BY id")).all()
            out[name] = [tuple(r) for r in rows]
    return out


def fault(boxes: Sandboxes, kind: str, **switches: Any) -> None:
    """Set fault switches of one simulator."""
    faults = boxes.simulators[kind].faults
    names = {f.name for f in dataclasses.fields(faults)}
    for key, value in switches.items():
        assert key in names, key
        setattr(faults, key, value)


@pytest.fixture
def synced(committed_db: Any, settings: Settings, sandboxes: Sandboxes, small_pages: None) -> Any:
    """A database holding one successful Microsoft 365 sync."""
    config = {**sandboxes.configs["microsoft365"], "identity_provider": True}
    _add(committed_db.engine, settings, "m365", config)
    result = sync_connector(
        engine=committed_db.engine, settings=settings, name="m365", connector_options=FAST
    )
    assert result.status == "succeeded", result.error
    return committed_db
