"""Daily usage snapshots per account and product."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.db import JSONType


class UsageDaily(SQLModel, table=True):
    """Activity counts of one account on one product on one day, as the vendor reports them."""

    __tablename__ = "usage_daily"
    __table_args__ = (sa.UniqueConstraint("account_id", "product_id", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    person_id: int | None = Field(
        default=None, foreign_key="person.id", index=True, ondelete="SET NULL"
    )
    product_id: int | None = Field(
        default=None, foreign_key="product.id", index=True, ondelete="CASCADE"
    )
    day: date = Field(index=True)
    activity: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
