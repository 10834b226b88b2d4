"""API and CLI shapes of contracts (subscriptions): money as decimal strings, dates ISO."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field


def money_text(value: Decimal | None) -> str | None:
    """``Decimal("12.5000")`` → ``"12.50"``: at least two decimals, no trailing zeros beyond."""
    if value is None:
        return None
    text = format(value.normalize(), "f")
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


class SubscriptionRead(BaseModel):
    """One contract as `subscriptions list --json`, ``GET /api/v1/subscriptions`` and
    ``PATCH /api/v1/contracts/{id}`` show it.

    ``id`` is what ``PATCH /api/v1/contracts/{id}`` takes (and answers this shape);
    ``product`` is the product text the contract was imported with (a SKU part number,
    external id or name); ``notice_deadline`` is ``renewal_date - notice_days``.
    """

    id: int = Field(description="The contract's id: PATCH /api/v1/contracts/{id} changes it.")
    contract_number: str = Field(description="The vendor's number; unique per vendor.")
    vendor: str
    application: str
    product: str | None
    renewal_date: date | None
    auto_renew: bool
    notice_days: int
    notice_deadline: date | None
    seats: int | None
    unit_price: str | None
    total_cost: str | None
    currency: str
    owner_email: str | None
    is_trial: bool


class SubscriptionPage(BaseModel):
    """A page of contracts."""

    items: list[SubscriptionRead]
    total: int
    limit: int
    offset: int


class ImportProblemRead(BaseModel):
    """One reason an import was refused."""

    row: int | None
    column: str | None
    problem: str


class ImportRefusedRead(BaseModel):
    """The 422 problem+json body of a refused import (RFC 9457 plus ``errors``)."""

    type: str = "about:blank"
    title: str = "Import refused"
    status: int = 422
    detail: str
    errors: list[ImportProblemRead]


class ImportResultRead(BaseModel):
    """What an accepted import did."""

    created: int
    updated: int
    unchanged: int
    warnings: list[str]
