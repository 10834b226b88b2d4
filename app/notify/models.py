"""The notification outbox: every e-mail is a row before it is sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.db import JSONType, UTCDateTime, utcnow


class Notification(SQLModel, table=True):
    """One e-mail to one recipient; ``dedupe_key`` makes creation idempotent."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=50, index=True)
    recipient: str = Field(max_length=320)
    subject: str = Field(max_length=500)
    body_text: str = Field(default="", sa_type=sa.Text)
    body_html: str | None = Field(default=None, sa_type=sa.Text)
    attachments: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType)
    dedupe_key: str = Field(max_length=400, unique=True)
    status: str = Field(default="pending", max_length=20, index=True)
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=64)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    error: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class JobRun(SQLModel, table=True):
    """One run of a scheduled job (sync, analyze, alerts, reports)."""

    __tablename__ = "job_run"

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=100, index=True)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    outcome: str = Field(default="running", max_length=20)
    detail: str | None = Field(default=None, sa_type=sa.Text)


class FreeSeatAlert(SQLModel, table=True):
    """Free-seat threshold per product and whether it is crossed (one alert per crossing).

    ``threshold`` overrides ``SEATWISE_FREE_SEATS_THRESHOLD`` for this product; ``below``
    is set when an alert went out and cleared when free seats are back at or above the
    threshold, which re-arms the alert; ``crossings`` numbers the alerts' dedupe keys.
    """

    __tablename__ = "free_seat_alert"

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id", unique=True, ondelete="CASCADE")
    threshold: int | None = None
    below: bool = False
    crossings: int = 0
    free_seats: int | None = None
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class NotificationSetting(SQLModel, table=True):
    """An admin's override of one notification setting, keyed by its ``Settings`` name.

    The environment keeps the default: deleting the row ("reset to default") brings it
    back. ``value`` is the validated JSON form (a list, string or number; null turns the
    free-seat threshold off), read by ``app.notify.notification_settings``.
    """

    __tablename__ = "notification_setting"

    key: str = Field(primary_key=True, max_length=100)
    value: Any = Field(default=None, sa_type=JSONType, nullable=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by: str = Field(max_length=320)
