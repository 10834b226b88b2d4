"""API shapes of the notification settings (recipients, schedules, thresholds)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class NotificationSettingRead(BaseModel):
    """One setting: the value in effect, the environment default, and which applies."""

    key: str
    title: str
    description: str
    value: Any
    default: Any
    source: Literal["override", "environment"]
    updated_at: datetime | None
    updated_by: str | None


class NotificationSettingsUpdate(BaseModel):
    """Overrides to store; only the fields sent change.

    Types are loose on purpose: lists may also be sent as comma-separated text (as in
    ``.env``), and the service validates every value exactly as the environment is
    validated, answering 422 with the setting and the problem.
    ``free_seats_threshold: null`` turns the free-seat alert off; to go back to the
    environment default, DELETE the setting instead.
    """

    model_config = ConfigDict(extra="forbid")

    procurement_emails: list[str] | str | None = None
    finance_emails: list[str] | str | None = None
    digest_emails: list[str] | str | None = None
    alerts_time: str | None = None
    digest_schedule: str | None = None
    spend_report_schedule: str | None = None
    renewal_alert_days: list[int] | str | None = None
    trial_alert_days: list[int] | str | None = None
    escalation_days: int | None = None
    free_seats_threshold: int | str | None = None


class NotificationSettingsSaved(BaseModel):
    """Which settings a change touched, and every setting afterwards."""

    changed: list[str]
    settings: list[NotificationSettingRead]
