"""Connector configurations and sync runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.db import JSONType, UTCDateTime, utcnow


class ConnectorConfig(SQLModel, table=True):
    """A configured source; ``secrets`` holds the Fernet token of the secret fields."""

    __tablename__ = "connector_config"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=50, index=True)
    name: str = Field(max_length=100, unique=True)
    config: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    secrets: str | None = Field(default=None, sa_type=sa.Text)
    schedule: str | None = Field(default=None, max_length=100)
    enabled: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SyncRun(SQLModel, table=True):
    """One run of one connector: what happened, with counts, warnings and the error."""

    __tablename__ = "sync_run"

    id: int | None = Field(default=None, primary_key=True)
    connector_id: int = Field(foreign_key="connector_config.id", index=True, ondelete="CASCADE")
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: str = Field(default="running", max_length=20, index=True)
    counts: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    warnings: list[str] = Field(default_factory=list, sa_type=JSONType)
    error: str | None = Field(default=None, sa_type=sa.Text)
    process: str | None = Field(default=None, max_length=200)
    """``host:pid:start`` of the process running it (:mod:`app.core.process`): a run
    left ``running`` by a process that is gone is closed at once, not after a timeout."""


class SyncIndex(SQLModel, table=True):
    """The key index a connector's last successful sync left behind (``app.sync.key_index``).

    Written in the sync's own transaction, so it is exactly as current as the accounts
    and assignments it describes; the next run reads it instead of scanning them.
    Only the sync writes accounts and assignments; anything else that ever does must
    delete this row (``key_index.forget``) in the same transaction.
    """

    __tablename__ = "sync_index"

    connector_id: int = Field(
        primary_key=True, foreign_key="connector_config.id", ondelete="CASCADE"
    )
    layout: int
    """The layout of ``data`` (``key_index.LAYOUT``) when written."""
    schema_revision: str = Field(max_length=100)
    """The database's migration revision when written: a migration may change the rows."""
    accounts: int
    """The connector's account rows when written: a cheap check that none came or went."""
    run_id: int | None = None
    """The run it describes the end of: trusted only while that is the connector's latest
    successful run (a run of a build that does not keep it leaves it behind)."""
    written_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SyncIndexData(SQLModel, table=True):
    """The bytes of a :class:`SyncIndex`, in a row of their own.

    A run that changed nothing updates only its :class:`SyncIndex` row; on SQLite an
    update rewrites the whole row, and would rewrite these bytes too when its size
    changed.
    """

    __tablename__ = "sync_index_data"

    connector_id: int = Field(
        primary_key=True, foreign_key="sync_index.connector_id", ondelete="CASCADE"
    )
    data: bytes = Field(sa_type=sa.LargeBinary)
