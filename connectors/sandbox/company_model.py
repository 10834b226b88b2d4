"""The shapes of the fake company: people, their per-source facts, tenant SKUs."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(slots=True)
class M365Facts:
    """What Microsoft Entra ID holds for one person."""

    object_id: str
    user_principal_name: str
    mail: str | None
    account_enabled: bool
    user_type: str  # "Member" | "Guest"
    skus: list[str]  # part numbers
    created: datetime
    department: str | None
    last_sign_in: datetime | None = None
    last_non_interactive_sign_in: datetime | None = None
    last_successful_sign_in: datetime | None = None


@dataclass(slots=True)
class GoogleFacts:
    """What the Google Workspace directory and licence manager hold for one person."""

    user_id: str
    primary_email: str
    suspended: bool
    archived: bool
    is_admin: bool
    last_login: datetime | None  # None: never logged in
    sku_id: str | None  # Google-Apps SKU id, None when unlicensed
    org_unit: str
    created: datetime


@dataclass(slots=True)
class SlackFacts:
    """What Slack holds for one member (or bot)."""

    user_id: str
    username: str
    email: str | None
    deleted: bool
    is_restricted: bool
    is_ultra_restricted: bool
    is_admin: bool
    billing_active: bool
    access_log_last: list[datetime] = field(default_factory=list)
    is_bot: bool = False


@dataclass(slots=True)
class Person:
    """One human (or a Slack bot) of the fake company, with per-source facts."""

    id: str
    given_name: str
    family_name: str
    display_name: str
    email: str
    department: str | None
    cost_centre: str | None
    manager_id: str | None
    title: str | None
    created_at: datetime
    status: str  # "active" | "leaver"
    left_at: datetime | None
    is_guest: bool
    m365: M365Facts | None = None
    google: GoogleFacts | None = None
    slack: SlackFacts | None = None


@dataclass(frozen=True, slots=True)
class Department:
    """A department, its cost centre and its head."""

    name: str
    cost_centre: str
    head_id: str | None


@dataclass(slots=True)
class TenantSku:
    """A Microsoft 365 SKU the tenant subscribes to."""

    part_number: str
    sku_id: str
    friendly_name: str
    seats_purchased: int
    seats_consumed: int
    free: bool = False


@dataclass(slots=True)
class Company:
    """The fake company: people and the Microsoft 365 subscriptions of its tenant."""

    name: str
    domain: str
    tenant_id: str
    today: date
    seed: int
    departments: list[Department]
    persons: list[Person]
    m365_skus: list[TenantSku]

    @property
    def cost_centres(self) -> list[str]:
        """Cost centres, one per department."""
        return [d.cost_centre for d in self.departments]

    @property
    def tenant_onmicrosoft(self) -> str:
        """The tenant's initial domain, used in guest UPNs."""
        return self.domain.split(".")[0] + ".onmicrosoft.com"

    def sku(self, part_number: str) -> TenantSku:
        """Return the tenant SKU with this part number."""
        for s in self.m365_skus:
            if s.part_number == part_number:
                return s
        raise KeyError(part_number)

    def summary(self) -> str:
        """Describe the company in a few lines, for ``seatwise sandbox serve``."""
        c: Counter[str] = Counter()
        for p in self.persons:
            c["persons"] += 1
            c["leavers"] += p.status == "leaver"
            c["guests"] += p.is_guest
            c["microsoft365"] += p.m365 is not None
            c["google_workspace"] += p.google is not None
            c["slack"] += p.slack is not None
        lines = [
            f"{self.name} ({self.domain}), tenant {self.tenant_id}, as of {self.today}",
            f"  {c['persons']} people: {c['leavers']} leavers, {c['guests']} guests",
            f"  accounts: Microsoft 365 {c['microsoft365']}, Google Workspace "
            f"{c['google_workspace']}, Slack {c['slack']}",
            "  Microsoft 365 SKUs (consumed/purchased): "
            + ", ".join(
                f"{s.part_number} {s.seats_consumed}/{s.seats_purchased}" for s in self.m365_skus
            ),
        ]
        return "\n".join(lines)
