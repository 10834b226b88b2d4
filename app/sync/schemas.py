"""API shapes of connectors and sync runs (same field names as the CLI's JSON)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class LastRunRead(BaseModel):
    """How a connector's newest sync run went (its runs: ``GET /api/v1/sync-runs``)."""

    status: str
    started_at: datetime
    error: str | None


class ConnectorRead(BaseModel):
    """A connector with its secrets masked, and its newest run (None: never synced)."""

    name: str
    kind: str
    enabled: bool
    identity_provider: bool
    schedule: str | None
    config: dict[str, Any]
    created_at: datetime
    last_run: LastRunRead | None


class ConnectorPage(BaseModel):
    """A page of connectors."""

    items: list[ConnectorRead]
    total: int
    limit: int
    offset: int


class SyncRunRead(BaseModel):
    """One sync run: status, counts, warnings and the error in plain words."""

    id: int
    connector: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    counts: dict[str, Any]
    warnings: list[str]
    error: str | None


class SyncRunPage(BaseModel):
    """A page of sync runs, newest first."""

    items: list[SyncRunRead]
    total: int
    limit: int
    offset: int


class SyncResultRead(BaseModel):
    """What a sync started through the API did."""

    connector: str
    run_id: int
    status: str
    counts: dict[str, int]
    warnings: list[str]
    error: str | None
