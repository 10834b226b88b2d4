"""Inventory tables: vendors, applications, products (SKUs) and subscriptions (contracts)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.db import MONEY, UTCDateTime, utcnow


class Vendor(SQLModel, table=True):
    """A company that sells SaaS to us."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    website: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Application(SQLModel, table=True):
    """A SaaS application (Slack, Microsoft 365); ``catalog_key`` links the app catalogue."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    vendor_id: int | None = Field(default=None, foreign_key="vendor.id", index=True)
    category: str | None = Field(default=None, max_length=100, index=True)
    catalog_key: str | None = Field(default=None, max_length=100, index=True)
    owner_email: str | None = Field(default=None, max_length=320)
    status: str = Field(default="active", max_length=20)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Product(SQLModel, table=True):
    """A vendor SKU or plan; one per (connector, external_id), contracts may add their own."""

    __table_args__ = (sa.UniqueConstraint("connector_id", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    connector_id: int | None = Field(
        default=None, foreign_key="connector_config.id", index=True, ondelete="SET NULL"
    )
    external_id: str = Field(max_length=300)
    sku: str | None = Field(default=None, max_length=200, index=True)
    name: str = Field(max_length=300)
    list_price: Decimal | None = Field(default=None, sa_type=MONEY)
    list_price_currency: str | None = Field(default=None, max_length=3)
    seats_purchased: int | None = None
    seats_consumed: int | None = None
    status: str = Field(default="active", max_length=30)
    first_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Subscription(SQLModel, table=True):
    """A contract: what we bought, for how long, at what price, renewing when."""

    __table_args__ = (
        sa.UniqueConstraint("vendor_id", "contract_number"),
        sa.CheckConstraint("seats IS NULL OR seats >= 0", name="seats_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    vendor_id: int = Field(foreign_key="vendor.id", index=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    product_id: int | None = Field(
        default=None, foreign_key="product.id", index=True, ondelete="SET NULL"
    )
    product_ref: str | None = Field(default=None, max_length=300)
    contract_number: str = Field(max_length=200)
    start_date: date
    end_date: date | None = None
    renewal_date: date | None = Field(default=None, index=True)
    auto_renew: bool = False
    notice_days: int = 0
    billing_cycle: str = Field(default="annual", max_length=20)
    seats: int | None = None
    unit_price: Decimal | None = Field(default=None, sa_type=MONEY)
    total_cost: Decimal | None = Field(default=None, sa_type=MONEY)
    currency: str = Field(max_length=3)
    cost_centre: str | None = Field(default=None, max_length=100, index=True)
    department: str | None = Field(default=None, max_length=100)
    owner_email: str | None = Field(default=None, max_length=320)
    is_trial: bool = False
    document_url: str | None = Field(default=None, max_length=1000)
    notes: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
