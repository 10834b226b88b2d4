"""Findings (what to act on) and analysis policies."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.db import MONEY, JSONType, UTCDateTime, utcnow


class Finding(SQLModel, table=True):
    """A finding, upserted by its stable ``key``; status survives re-analysis."""

    # Covering indexes for the pages: savings totals by status (dashboard, findings
    # list) and the list's order, read from the index instead of the wide rows.
    __table_args__ = (
        sa.Index(
            "ix_finding_status_totals",
            "status",
            "kind",
            "application_id",
            "currency",
            "monthly_savings",
        ),
        sa.Index("ix_finding_status_order", "status", "severity", "monthly_savings", "key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=300, unique=True)
    kind: str = Field(max_length=50, index=True)
    severity: str = Field(default="medium", max_length=20)
    application_id: int | None = Field(
        default=None, foreign_key="application.id", index=True, ondelete="SET NULL"
    )
    product_id: int | None = Field(
        default=None, foreign_key="product.id", index=True, ondelete="SET NULL"
    )
    subject: str = Field(max_length=500)
    evidence: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    fingerprint: str = Field(default="", max_length=64)
    monthly_savings: Decimal | None = Field(default=None, sa_type=MONEY)
    currency: str | None = Field(default=None, max_length=3)
    status: str = Field(default="open", max_length=20, index=True)
    status_reason: str | None = Field(default=None, sa_type=sa.Text)
    status_by: str | None = Field(default=None, max_length=320)
    status_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    first_seen: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_from: str | None = Field(default=None, max_length=20)
    """The status it was resolved from: a dismissal comes back with the finding."""


class Policy(SQLModel, table=True):
    """Analysis thresholds: the global row has no application, others override per app."""

    id: int | None = Field(default=None, primary_key=True)
    application_id: int | None = Field(
        default=None, foreign_key="application.id", unique=True, ondelete="CASCADE"
    )
    inactive_days: int | None = None
    never_used_grace_days: int | None = None
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CatalogEntry(SQLModel, table=True):
    """A user's addition or correction to the bundled app catalogue (wins over the data file)."""

    __tablename__ = "catalog_entry"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=100, unique=True)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
