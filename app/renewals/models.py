"""Renewal negotiation tasks."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, utcnow


class RenewalTask(SQLModel, table=True):
    """The negotiation state of one renewal of one contract."""

    __tablename__ = "renewal_task"
    __table_args__ = (sa.UniqueConstraint("subscription_id", "renewal_date"),)

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: int = Field(foreign_key="subscription.id", ondelete="CASCADE")
    renewal_date: date
    owner_email: str | None = Field(default=None, max_length=320)
    state: str = Field(default="open", max_length=20)
    decision: str | None = Field(default=None, max_length=20)
    recommended_seats: int | None = None
    notes: str | None = Field(default=None, sa_type=sa.Text)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
