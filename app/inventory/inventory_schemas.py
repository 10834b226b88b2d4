"""API shapes of the synced inventory (same field names as `seatwise inventory --json`)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel

from app.inventory.app_edit import ApplicationRead


class ApplicationPage(BaseModel):
    """A page of applications."""

    items: list[ApplicationRead]
    total: int
    limit: int
    offset: int


class ProductRead(BaseModel):
    """A synced product with its seat figures."""

    connector: str
    external_id: str
    sku: str | None
    name: str
    seats_purchased: int | None
    seats_consumed: int | None
    seats_assigned: int
    seats_active: int
    seats_activity_unknown: int
    """Current assignees whose source reports no activity: not counted in ``seats_active``."""
    status: str
    list_price: Decimal | None
    list_price_currency: str | None


class ProductPage(BaseModel):
    """A page of products."""

    items: list[ProductRead]
    total: int
    limit: int
    offset: int


class AccountRead(BaseModel):
    """A synced account with the product external ids it holds."""

    connector: str
    external_id: str
    email: str | None
    display_name: str | None
    status: str
    is_guest: bool
    is_admin: bool
    department: str | None
    last_active_at: datetime | None
    activity_known: bool
    products: list[str]


class AccountPage(BaseModel):
    """A page of accounts."""

    items: list[AccountRead]
    total: int
    limit: int
    offset: int
