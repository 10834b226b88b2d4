"""API and CLI shapes of findings, analyses and policies (tables stay in models.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from app.core.days import Day

#: The keys `seatwise findings list --json` prints, in order: every field of FindingRead,
#: as ``GET /api/v1/findings`` gives them (the same names everywhere).
FINDING_KEYS = (
    "key",
    "kind",
    "severity",
    "application",
    "product",
    "subject",
    "monthly_savings",
    "currency",
    "status",
    "evidence",
    "first_seen",
    "last_seen",
    "status_reason",
    "status_by",
    "status_at",
    "resolved_at",
)


class FindingRead(BaseModel):
    """One finding as users see it."""

    key: str
    kind: str
    severity: str
    application: str | None = Field(description="Application name")
    product: str | None = Field(description="The product's external id (vendor SKU id)")
    subject: str = Field(
        description="Account e-mail (seats), contract number (contracts), application (overlaps)"
    )
    monthly_savings: str | None = Field(description="Decimal string, to the cent")
    currency: str | None
    status: str
    evidence: dict[str, Any]
    first_seen: datetime
    last_seen: datetime
    status_reason: str | None = None
    status_by: str | None = None
    status_at: datetime | None = None
    resolved_at: datetime | None = None

    def cli_json(self) -> dict[str, Any]:
        """Return the fields the CLI prints, JSON-ready."""
        data = self.model_dump(mode="json", include=set(FINDING_KEYS))
        return {k: data[k] for k in FINDING_KEYS}


class FindingPage(BaseModel):
    """A page of findings plus the savings of everything the filter matches."""

    items: list[FindingRead]
    total: int
    limit: int
    offset: int
    savings_total: dict[str, str] = Field(description="Monthly savings per currency")


class FindingUpdate(BaseModel):
    """A review decision: acknowledge, dismiss (with a reason) or reopen."""

    status: Literal["acknowledged", "dismissed", "open"]
    reason: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _reason_for_dismissal(self) -> FindingUpdate:
        if self.status == "dismissed" and not (self.reason or "").strip():
            raise ValueError("a reason is required to dismiss a finding")
        return self


class AnalyzeRequest(BaseModel):
    """Options of one analysis run."""

    as_of: Day | None = Field(
        default=None, description="The day rules treat as today (a year from 1900 to 2999)"
    )


class AnalysisRead(BaseModel):
    """What one analysis found and changed."""

    as_of: date
    counts: dict[str, int]
    total_monthly_savings: dict[str, str]
    """Per currency, over the findings produced that are open or acknowledged after the
    run (a dismissed one whose facts did not change is left out, as on the dashboard)."""
    new: int
    resolved: int
    reopened: int
    warnings: list[str] = Field(
        description="What the analysis could not judge and why (the CLI prints them too)."
    )


class PolicyRead(BaseModel):
    """A policy: global (application None) or one application's overrides."""

    application: str | None
    inactive_days: int | None
    never_used_grace_days: int | None
    source: str
