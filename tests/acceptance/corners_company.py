"""A second, independent findings company aimed at the corners of the rules (issue 5).

Borealis Ltd, analysed as of ``TODAY`` (2027-03-10). Inventory rows go in through the
ORM, contracts through the real ``seatwise import contracts FILE``. Expected figures are
worked out by hand from the issue text (see ``test_findings_corners.py``).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlmodel import Session

from app.inventory.models import Application, Product, Vendor
from app.sync.models import ConnectorConfig
from tests.acceptance.findings_company import CONTRACT_HEADER, FLOW_FREE, GWS_STANDARD, SPE_E3
from tests.acceptance.staff import Staff

TODAY = date(2027, 3, 10)


def days_ago(days: int) -> datetime:
    """Noon UTC on the calendar day ``days`` days before TODAY."""
    return datetime(TODAY.year, TODAY.month, TODAY.day, 12, 0, tzinfo=UTC) - timedelta(days=days)


def in_days(days: int) -> date:
    """The date ``days`` days after TODAY."""
    return TODAY + timedelta(days=days)


@dataclass
class Company:
    """Ids of the planted rows."""

    apps: dict[str, int] = field(default_factory=dict)
    products: dict[str, int] = field(default_factory=dict)
    accounts: dict[tuple[str, str], int] = field(default_factory=dict)

    def seat_key(self, kind: str, source: str, who: str, product: str) -> str:
        """The key of a seat finding."""
        return f"{kind}:{self.accounts[(source, who)]}:{self.products[product]}"


def _add(session: Session, row: Any) -> Any:
    session.add(row)
    session.flush()
    return row


def build_inventory(session: Session) -> Company:
    """Add Borealis' connectors, products, people, accounts and seats; flush only."""
    c = Company()
    conns = {
        # Entra ID without P1: identity provider, but reports no activity at all.
        "entra": _add(session, ConnectorConfig(kind="microsoft365", name="entra",
                                               config={"identity_provider": True})),
        "google": _add(session, ConnectorConfig(kind="google_workspace", name="google")),
        # Slack on a plan without access logs (paid_only): activity unknown.
        "slack": _add(session, ConnectorConfig(kind="slack", name="slack")),
        "sheet": _add(session, ConnectorConfig(kind="spreadsheet", name="sheet")),
    }  # fmt: skip
    for key, name, catalog_key, vendor in (
        ("gws", "Google Workspace", "google-workspace", "Google"),
        ("m365", "Microsoft 365", "microsoft-365", "Microsoft"),
        ("flow", "Power Automate", "power-automate", None),
        ("slack", "Slack", "slack", "Salesforce"),
        ("zoom", "Zoom Workplace", "zoom", "Zoom Communications"),
        ("canva", "Canva", "canva", "Canva"),
        ("1password", "1Password", "1password", "1Password"),
        ("notion", "Notion", "notion", "Notion Labs"),
        ("lucid", "Lucidchart", "lucidchart", "Lucid Software"),
        ("trello", "Trello", "trello", "Atlassian"),
    ):
        vendor_id = _add(session, Vendor(name=vendor)).id if vendor else None
        app = _add(session, Application(name=name, catalog_key=catalog_key, vendor_id=vendor_id))
        c.apps[key] = app.id
    for key, conn, app, external_id, sku, name, bought, consumed in (
        ("e3", "entra", "m365", SPE_E3, "SPE_E3", "Microsoft 365 E3", 3, 3),
        ("flow", "entra", "flow", FLOW_FREE, "FLOW_FREE", "Power Automate Free", 10000, 1),
        ("gws", "google", "gws", GWS_STANDARD, "1010020028", "Google Workspace Business Standard",
         None, 7),
        # Slack reports no purchased seats: the contract's 3 seats stand in.
        ("slack", "slack", "slack", "T0BOREAL", None, "Slack Borealis", None, 2),
        ("zoom", "sheet", "zoom", "zoom-pro", None, "Zoom Pro", 3, 3),
        ("canva", "sheet", "canva", "canva-teams", None, "Canva Teams", None, None),
        ("1password", "sheet", "1password", "1p-teams", None, "1Password Teams", None, None),
        # No contract: a list price of 8.00 EUR on the product; 1 bought, 3 assigned.
        ("notion", "sheet", "notion", "notion-plus", None, "Notion Plus", 1, 1),
        # No price at all; 1 bought, 2 assigned.
        ("lucid", "sheet", "lucid", "lucid-team", None, "Lucid Team", 1, None),
        # TRL-A: annual 12.10; 5 bought, 2 consumed → 3 x 12.10 / 12 = 3.025 exactly.
        ("trello", "sheet", "trello", "trello-std", None, "Trello Standard", 5, 2),
    ):  # fmt: skip
        c.products[key] = _add(
            session,
            Product(application_id=c.apps[app], connector_id=conns[conn].id,
                    external_id=external_id, sku=sku, name=name,
                    seats_purchased=bought, seats_consumed=consumed,
                    list_price=Decimal("8.00") if key == "notion" else None,
                    list_price_currency="EUR" if key == "notion" else None),
        ).id  # fmt: skip

    account = Staff(session, TODAY, "borealis.test", conns, c.products, c.accounts).account

    # --- Entra ID (identity provider, no P1: activity unknown) ---
    account("entra", "amy", ("e3",), last_active=None, activity_known=False)  # never seen: unknown
    account("entra", "ben", ("e3", "flow"), last_active=None, status="suspended",
            activity_known=False)  # fmt: skip
    account("entra", "ivy", ("e3",), last_active=None, activity_known=False)
    account("entra", "hal", (), last_active=None, activity_known=False)  # still employed
    # --- Google Workspace (activity known; no contract: list price 14.00 USD) ---
    account("google", "ben", ("gws",), last_active=1)  # left per Entra, active here
    account("google", "cara", ("gws",), last_active=None, created=None, first_seen=31)
    account("google", "dan", ("gws",), last_active=None, created=None, first_seen=30)
    account("google", "eve", ("gws",), last_active=None, created=30, first_seen=60)
    account("google", "fay", ("gws",), last_active=61)  # policy for Google: 60 days
    account("google", "gil", ("gws",), last_active=60)
    account("google", "hal", ("gws",), last_active=300, status="suspended")  # own account
    # --- Slack (paid_only: activity unknown) ---
    account("slack", "ivy", ("slack",), last_active=None, activity_known=False)
    account("slack", "ext-jon", ("slack",), last_active=None, guest=True, activity_known=False)
    # --- Zoom: 3 bought, 3 consumed, 5 assigned ---
    for who in ("kim", "lee", "mo", "ned", "oli"):
        account("sheet", who, ("zoom",), last_active=1)
    # --- Canva: no contract and no list price ---
    account("sheet", "pia", ("canva",), last_active=120)
    # --- 1Password: triennial 0.18 EUR → 0.005 a month ---
    account("sheet", "quin", ("1password",), last_active=100)
    # --- second batch ---
    for who in ("rae", "sam", "tom"):
        account("sheet", who, ("notion",), last_active=2)
    for who in ("uma", "val"):
        account("sheet", who, ("lucid",), last_active=2)
    account("entra", "ext-wes", ("flow",), last_active=None, guest=True, activity_known=False)
    account("sheet", "xan", ("canva",), last_active=5, status="suspended")
    # 1Password never-used grace: 10 days by policy.
    account("sheet", "zed", ("1password",), last_active=None, created=11, first_seen=11)
    account("sheet", "abe", ("1password",), last_active=None, created=10, first_seen=10)
    return c


def _row(number: str, vendor: str, application: str, product: str = "", *, start: date,
         end: date | None = None, renewal: date | None = None, auto_renew: bool = False,
         notice_days: int = 0, cycle: str = "annual", seats: int | None = None,
         unit_price: str = "", total_cost: str = "", currency: str = "USD",
         trial: bool = False) -> list[str]:  # fmt: skip
    return [
        number, vendor, application, product, start.isoformat(),
        "" if end is None else end.isoformat(), "" if renewal is None else renewal.isoformat(),
        "yes" if auto_renew else "no", str(notice_days), cycle,
        "" if seats is None else str(seats), unit_price, total_cost, currency,
        "yes" if trial else "no",
    ]  # fmt: skip


def _dated(number: str, vendor: str, app: str, renewal_in: int, **kw: Any) -> list[str]:
    renewal = in_days(renewal_in)
    start, end = renewal - timedelta(days=365), renewal - timedelta(days=1)
    return _row(number, vendor, app, start=start, end=end, renewal=renewal, unit_price="100.00",
                **kw)  # fmt: skip


def contracts_csv() -> str:
    """Borealis' contracts file."""
    d = date.fromisoformat
    rows = [
        # E3: ended yesterday / ends today / starts today (prices: latest start) / future.
        _row("E3-OLD", "Microsoft", "Microsoft 365", "SPE_E3",
             start=d("2026-01-01"), end=in_days(-1), unit_price="300.00"),
        _row("E3-CUR", "Microsoft", "Microsoft 365", "SPE_E3",
             start=d("2026-03-10"), end=TODAY, unit_price="396.00"),
        _row("E3-LATE", "Microsoft", "Microsoft 365", "SPE_E3",
             start=TODAY, end=d("2028-03-09"), seats=10, total_cost="4320.00"),
        _row("E3-NEXT", "Microsoft", "Microsoft 365", "SPE_E3",
             start=in_days(1), end=d("2028-03-10"), unit_price="999.00"),
        # Slack: quarterly, total only: 100 / 3 seats / 3 months = 11.111…
        _row("SLK-Q", "Salesforce", "Slack", "Slack Borealis",
             start=d("2027-01-01"), end=d("2027-12-31"), cycle="quarterly", seats=3,
             total_cost="100.00"),
        # Zoom: monthly, total only: 10 / 3 seats = 3.333…
        _row("ZM-M", "Zoom Communications", "Zoom Workplace", "Zoom Pro",
             start=d("2026-01-01"), cycle="monthly", seats=3, total_cost="10.00"),
        # 1Password: triennial 0.18 EUR / 36 = 0.005 EUR a month.
        _row("1P-3Y", "1Password", "1Password", "1Password Teams",
             start=d("2026-01-01"), end=d("2028-12-31"), cycle="triennial",
             unit_price="0.18", currency="EUR"),
        _row("TRL-A", "Atlassian", "Trello", "Trello Standard",
             start=d("2027-01-01"), end=d("2027-12-31"), unit_price="12.10"),
        # Two products of one application, neither in the inventory: not duplicates.
        _row("ADB-ALL", "Adobe", "Adobe Creative Cloud", "Creative Cloud All Apps",
             start=d("2027-01-01"), end=d("2027-12-31"), unit_price="720.00"),
        _row("ADB-PHOTO", "Adobe", "Adobe Creative Cloud", "Photography plan",
             start=d("2027-01-01"), end=d("2027-12-31"), unit_price="240.00"),
        # Renewal today (in), trial with renewal ahead (no renewal_due).
        _dated("ASN-R0", "Asana", "Asana", 0),
        _row("CAL-TR", "Calendly", "Calendly", start=in_days(-5), end=in_days(30),
             renewal=in_days(30), trial=True, unit_price="10.00"),
        # Notice 100 days: deadlines in 7 (high), 8 (medium), 31 (low); passed yesterday.
        _dated("MIRO-N7", "Miro", "Miro", 107, auto_renew=True, notice_days=100),
        _dated("DBX-N8", "Dropbox", "Dropbox", 108, auto_renew=True, notice_days=100),
        _dated("DSG-N31", "Docusign", "Docusign eSignature", 131, auto_renew=True,
               notice_days=100),
        _dated("HS-MISS", "HubSpot", "HubSpot Sales Hub", 99, auto_renew=True, notice_days=100),
        # Not auto-renewing: no notice finding, renewal beyond 90 days.
        _dated("ZD-MANUAL", "Zendesk", "Zendesk", 110, notice_days=100),
        # Trials: ends today (in), ended yesterday (out).
        _row("LOOM-T0", "Atlassian", "Loom", start=in_days(-30), end=TODAY, trial=True),
        _row("NOT-TX", "Notion Labs", "Notion", start=in_days(-30), end=in_days(-1), trial=True),
        # Same application, no product: the first ended before the second began.
        _row("FIG-2026", "Figma", "Figma", start=d("2026-01-01"), end=d("2026-12-31"),
             unit_price="180.00"),
        _row("FIG-2027", "Figma", "Figma", start=d("2027-01-01"), end=d("2027-12-31"),
             unit_price="180.00"),
    ]  # fmt: skip
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CONTRACT_HEADER)
    writer.writerows(rows)
    return out.getvalue()


def write_contracts(directory: Path) -> Path:
    """Write the contracts file into ``directory`` and return its path."""
    path = directory / "borealis-contracts.csv"
    path.write_text(contracts_csv(), encoding="utf-8")
    return path
