"""What the analytics produce (``Finding``) and the thresholds they follow (``Policy``).

Kept apart from ``engine.py`` so every rule module can import these without importing
the engine that imports the rule modules. ``analytics.engine`` re-exports them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields, make_dataclass
from decimal import Decimal
from typing import Any, Literal, cast

Severity = Literal["low", "medium", "high", "critical"]

#: Seat findings, in the order of precedence used when one seat matches several rules.
SEAT_KINDS: tuple[str, ...] = ("leaver_seat", "guest_paid_seat", "unused_seat", "never_used_seat")


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a human should look at, with the facts to check it and what it saves.

    Attributes:
        key: Stable identity across runs (``unused_seat:<account_id>:<product_id>``);
            the findings service upserts by it.
        kind: The rule that produced it (``unused_seat``, ``notice_deadline``...).
        severity: ``low`` | ``medium`` | ``high`` | ``critical``.
        application_id: The application concerned, when there is one.
        product_id: The product (SKU) concerned, when there is one.
        subject: Account e-mail (seat findings), contract number (contract findings),
            application name (overlaps) or product name (product findings).
        evidence: JSON-serialisable facts that let a human re-derive the finding.
        monthly_savings: Monthly saving, rounded half-up to the cent; None when unknown
            or not applicable.
        currency: ISO currency of ``monthly_savings`` (or of the contract).
        account_id: The account, for seat findings.
        subscription_id: The contract, for contract findings.
    """

    key: str
    kind: str
    severity: Severity
    application_id: int | None
    product_id: int | None
    subject: str
    evidence: dict[str, Any]
    monthly_savings: Decimal | None
    currency: str | None
    account_id: int | None = None
    subscription_id: int | None = None


#: Mutable twin of ``Finding`` (same slots, same order, made from its fields so the two
#: cannot drift apart), used only by ``new_finding``.
_FindingLayout = make_dataclass(
    "_FindingLayout",
    [
        (f.name, f.type) if f.default is MISSING else (f.name, f.type, field(default=f.default))
        for f in fields(Finding)
    ],
    slots=True,
)


def new_finding(
    key: str,
    kind: str,
    severity: Severity,
    application_id: int | None,
    product_id: int | None,
    subject: str,
    evidence: dict[str, Any],
    monthly_savings: Decimal | None,
    currency: str | None,
    account_id: int | None = None,
    subscription_id: int | None = None,
) -> Finding:
    """Build a ``Finding`` at half the cost of its frozen ``__init__``.

    Seat rules build hundreds of thousands of findings; the frozen dataclass sets each
    field through ``object.__setattr__``. Building the mutable twin and switching its
    class gives the identical frozen object (same slots layout) for less.
    """
    twin = _FindingLayout(
        key,
        kind,
        severity,
        application_id,
        product_id,
        subject,
        evidence,
        monthly_savings,
        currency,
        account_id,
        subscription_id,
    )
    twin.__class__ = Finding
    return cast(Finding, twin)


@dataclass(frozen=True)
class ApplicationPolicy:
    """Per-application overrides of the seat thresholds (None = use the global value)."""

    inactive_days: int | None = None
    never_used_grace_days: int | None = None

    def __post_init__(self) -> None:
        for name in ("inactive_days", "never_used_grace_days"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 0):
                raise ValueError(
                    f"ApplicationPolicy.{name} must be a non-negative int, got {value!r}"
                )


@dataclass(frozen=True)
class Policy:
    """Thresholds of every rule; defaults follow the product specification.

    Attributes:
        inactive_days: A seat is unused when its last activity is more than this
            many days before today.
        never_used_grace_days: A never-active account is flagged once created more
            than this many days before today.
        renewal_horizon_days: ``renewal_due`` when renewal is 0..this many days ahead.
        notice_horizon_days: ``notice_deadline`` when the deadline is 0..this many days ahead.
        trial_horizon_days: ``trial_ending`` when the trial ends 0..this many days ahead.
        per_application: Overrides of ``inactive_days`` / ``never_used_grace_days`` by
            application id.
    """

    inactive_days: int = 90
    never_used_grace_days: int = 30
    renewal_horizon_days: int = 90
    notice_horizon_days: int = 60
    trial_horizon_days: int = 14
    per_application: Mapping[int, ApplicationPolicy] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in (
            "inactive_days",
            "never_used_grace_days",
            "renewal_horizon_days",
            "notice_horizon_days",
            "trial_horizon_days",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"Policy.{name} must be a non-negative int, got {value!r}")
        for app_id, override in self.per_application.items():
            if not isinstance(override, ApplicationPolicy):
                raise ValueError(
                    f"Policy.per_application[{app_id!r}] must be an ApplicationPolicy, "
                    f"got {type(override).__name__}"
                )

    def inactive_days_for(self, application_id: int) -> int:
        """Return the inactivity threshold that applies to one application."""
        override = self.per_application.get(application_id)
        if override is not None and override.inactive_days is not None:
            return override.inactive_days
        return self.inactive_days

    def never_used_grace_days_for(self, application_id: int) -> int:
        """Return the never-used grace period that applies to one application."""
        override = self.per_application.get(application_id)
        if override is not None and override.never_used_grace_days is not None:
            return override.never_used_grace_days
        return self.never_used_grace_days
