"""Money side: invoices, budgets and FX rates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.db import MONEY, UTCDateTime, utcnow


class Invoice(SQLModel, table=True):
    """An invoice from a vendor, optionally tied to a contract."""

    __table_args__ = (sa.UniqueConstraint("vendor_id", "invoice_number"),)

    id: int | None = Field(default=None, primary_key=True)
    vendor_id: int = Field(foreign_key="vendor.id", index=True)
    application_id: int | None = Field(default=None, foreign_key="application.id", index=True)
    subscription_id: int | None = Field(
        default=None, foreign_key="subscription.id", index=True, ondelete="SET NULL"
    )
    invoice_number: str = Field(max_length=200)
    invoice_date: date = Field(index=True)
    period_start: date | None = None
    period_end: date | None = None
    amount: Decimal = Field(sa_type=MONEY)
    currency: str = Field(max_length=3)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


def _unique_per_year(scope: str, other: str) -> sa.Index:
    """One budget per ``scope`` and year among the budgets that are ``scope``'s alone.

    A unique key over (department, cost centre, year) would not do: one of the two is
    always NULL, and NULLs never collide, so two processes could both add a budget.
    """
    where = sa.text(f"{other} IS NULL")
    return sa.Index(
        f"uq_budget_{scope}_year",
        scope,
        "year",
        unique=True,
        sqlite_where=where,
        postgresql_where=where,
    )


class Budget(SQLModel, table=True):
    """A yearly budget for a department or a cost centre (exactly one of them)."""

    __table_args__ = (
        _unique_per_year("department", "cost_centre"),
        _unique_per_year("cost_centre", "department"),
        sa.CheckConstraint("(department IS NULL) <> (cost_centre IS NULL)", name="one_scope"),
        sa.CheckConstraint("amount >= 0", name="amount_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    department: str | None = Field(default=None, max_length=100)
    cost_centre: str | None = Field(default=None, max_length=100)
    year: int
    amount: Decimal = Field(sa_type=MONEY)
    currency: str = Field(max_length=3)


class FxRate(SQLModel, table=True):
    """1 ``base`` = ``rate`` ``quote`` on ``day``."""

    __tablename__ = "fx_rate"
    __table_args__ = (sa.UniqueConstraint("base", "quote", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    base: str = Field(max_length=3)
    quote: str = Field(max_length=3)
    day: date
    rate: Decimal = Field(sa_type=sa.Numeric(20, 10))
