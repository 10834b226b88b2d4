"""API shapes of the spend domain: budgets and FX rates (reports are their own JSON)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field

from app.core.days import Day


class BudgetSet(BaseModel):
    """Set the yearly budget of exactly one department or cost centre."""

    department: str | None = Field(default=None, max_length=100)
    cost_centre: str | None = Field(default=None, max_length=100)
    year: int = Field(ge=2000, le=2100)
    amount: Decimal = Field(ge=0, description="Amount for the year; never negative.")
    currency: str = Field(min_length=3, max_length=3)


class BudgetRead(BaseModel):
    """A budget with the actual and forecast spend of its year (money as strings)."""

    id: int
    scope: str
    name: str
    year: int
    currency: str
    budget: str
    actual: str
    forecast: str
    remaining: str
    over_budget: bool


class BudgetPage(BaseModel):
    """A page of budgets."""

    items: list[BudgetRead]
    total: int
    limit: int
    offset: int


class FxRateSet(BaseModel):
    """Store ``1 base = rate quote`` on ``day``."""

    base: str = Field(min_length=3, max_length=3)
    quote: str = Field(min_length=3, max_length=3)
    day: Day
    rate: Decimal = Field(gt=0)


class FxRateRead(BaseModel):
    """A stored FX rate."""

    base: str
    quote: str
    day: date
    rate: Decimal


class FxRatePage(BaseModel):
    """A page of FX rates, newest first."""

    items: list[FxRateRead]
    total: int
    limit: int
    offset: int
