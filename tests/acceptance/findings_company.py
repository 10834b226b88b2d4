"""An independent test company for the findings acceptance test, planted case by case.

Inventory rows (connectors, people, accounts, products, seats) go in through the ORM;
contracts go in through the real ``seatwise import contracts FILE``. Every person,
account and contract is named after the case it plants, so a failing assertion reads
as the case that broke. The analysis day is fixed: ``TODAY`` (2026-11-25).
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
from tests.acceptance.staff import Staff

TODAY = date(2026, 11, 25)

# Catalogue SKU ids (analytics/catalog/*_skus.csv) the M365 and Google products carry.
SPE_E3 = "05e9a617-0261-4cee-bb44-138d3ef5d965"
SPE_E5 = "06ebc4ee-1bb5-47dd-8120-11324bc54e06"
FLOW_FREE = "f30db892-07e9-47e9-837c-80727f46fd3d"  # Power Automate Free: list price 0, free
GWS_STANDARD = "Google-Apps/1010020028"  # Business Standard: list price 14 USD a month


def days_ago(days: int) -> datetime:
    """Noon UTC on the calendar day ``days`` days before TODAY."""
    return datetime(TODAY.year, TODAY.month, TODAY.day, 12, 0, tzinfo=UTC) - timedelta(days=days)


def in_days(days: int) -> date:
    """The date ``days`` days after TODAY (negative: before)."""
    return TODAY + timedelta(days=days)


@dataclass
class Company:
    """Ids of the planted rows, for building the expected finding keys."""

    apps: dict[str, int] = field(default_factory=dict)
    products: dict[str, int] = field(default_factory=dict)
    accounts: dict[tuple[str, str], int] = field(default_factory=dict)  # (source, person)

    def account(self, source: str, who: str) -> int:
        """The id of ``who``'s account in ``source``."""
        return self.accounts[(source, who)]


def _add(session: Session, row: Any) -> Any:
    session.add(row)
    session.flush()
    return row


def build_inventory(session: Session) -> Company:
    """Add connectors, applications, products, people, accounts and seats; flush only."""
    c = Company()
    connectors = {
        # Entra ID is the identity provider: its account states decide who left.
        "m365": _add(
            session,
            ConnectorConfig(kind="microsoft365", name="m365", config={"identity_provider": True}),
        ),
        "google": _add(session, ConnectorConfig(kind="google_workspace", name="google")),
        "slack": _add(session, ConnectorConfig(kind="slack", name="slack")),
        "collab": _add(session, ConnectorConfig(kind="spreadsheet", name="collab-sheet")),
        "design": _add(session, ConnectorConfig(kind="spreadsheet", name="design-sheet")),
        "it": _add(session, ConnectorConfig(kind="spreadsheet", name="it-sheet")),
    }
    # Created in this order so that ids ascending = names ascending for the pairs
    # (Google Workspace < Microsoft 365, Webex < Zoom Workplace): keys read either way.
    for key, name, catalog_key, vendor in (
        ("gws", "Google Workspace", "google-workspace", "Google"),
        ("m365", "Microsoft 365", "microsoft-365", "Microsoft"),
        ("flow", "Power Automate", "power-automate", None),
        ("slack", "Slack", "slack", "Salesforce"),
        ("webex", "Webex", "webex", "Cisco"),
        ("zoom", "Zoom Workplace", "zoom", "Zoom Communications"),
        ("canva", "Canva", "canva", "Canva"),
        ("1password", "1Password", "1password", "1Password"),
        ("evernote", "Evernote", "evernote", "Bending Spoons"),
    ):
        vendor_id = _add(session, Vendor(name=vendor)).id if vendor else None
        app = _add(session, Application(name=name, catalog_key=catalog_key, vendor_id=vendor_id))
        c.apps[key] = app.id
    for key, conn, app, external_id, sku, name, bought, consumed in (
        ("e3", "m365", "m365", SPE_E3, "SPE_E3", "Microsoft 365 E3", 7, 7),
        ("e5", "m365", "m365", SPE_E5, "SPE_E5", "Microsoft 365 E5", 5, 1),
        ("flow", "m365", "flow", FLOW_FREE, "FLOW_FREE", "Power Automate Free", 10000, 1),
        ("gws", "google", "gws", GWS_STANDARD, "1010020028", "Google Workspace Business Standard",
         None, None),
        ("slack", "slack", "slack", "business_plus", None, "Slack Business+", None, None),
        ("zoom", "collab", "zoom", "zoom-business", None, "Zoom Business", 1, 2),
        ("webex", "collab", "webex", "webex-meet", None, "Webex Meet", None, None),
        ("canva", "design", "canva", "canva-teams", None, "Canva Teams", None, None),
        ("1password", "it", "1password", "1password-business", None, "1Password Business",
         None, None),
        ("evernote", "it", "evernote", "evernote-teams", None, "Evernote Teams", None, None),
    ):  # fmt: skip
        product = Product(
            application_id=c.apps[app],
            connector_id=connectors[conn].id,
            external_id=external_id,
            sku=sku,
            name=name,
            seats_purchased=bought,
            seats_consumed=consumed,
            # Evernote has no contract: its own list price, 10.00 USD a month.
            list_price=Decimal("10.00") if key == "evernote" else None,
            list_price_currency="USD" if key == "evernote" else None,
        )
        c.products[key] = _add(session, product).id

    account = Staff(session, TODAY, "acme.test", connectors, c.products, c.accounts).account

    # --- Microsoft 365 (identity provider) ---
    account("m365", "alice", ("e3",), last_active=1)
    account("m365", "bob", ("e3",), last_active=1)
    account("m365", "dave", ("e3",), last_active=200, status="suspended")  # left, idle
    account("m365", "frank", ("e3",), last_active=2)
    # never used: created 31 days ago (first synced 5 days ago) vs 29 days ago
    account("m365", "nina", ("e3",), last_active=None, created=31, first_seen=5)
    account("m365", "nick", ("e3",), last_active=None, created=29)
    account("m365", "paul", ("e3",), last_active=None, created=None, first_seen=45)
    account("m365", "erin", ("e5",), last_active=2)
    account("m365", "gina", ("flow",), last_active=200)  # idle, but on a free SKU
    account("m365", "yuri", (), last_active=300, status="deleted")  # left; now a Slack guest
    # --- Google Workspace ---
    account("google", "carol", ("gws",), last_active=3)
    account("google", "frank", ("gws",), last_active=2)
    account("google", "rita", ("gws",), last_active=100)
    # --- Slack ---
    account("slack", "alice", ("slack",), last_active=1)
    account("slack", "bob", ("slack",), last_active=91)
    account("slack", "carol", ("slack",), last_active=3)
    account("slack", "dave", ("slack",), last_active=5)  # Slack still active
    account("slack", "hank", ("slack",), last_active=90)
    account("slack", "ivan", ("slack",), last_active=60, status="deleted")
    account("slack", "ext-xavier", ("slack",), last_active=200, guest=True)  # idle guest
    account("slack", "yuri", ("slack",), last_active=1, guest=True)
    # --- Zoom and Webex from a sheet that reports no activity at all ---
    for who, seats in (("wendy", ("zoom", "webex")), ("walt", ("zoom", "webex"))):
        account("collab", who, seats, last_active=None, created=100, activity_known=False)
    account("collab", "olga", ("zoom",), last_active=None, created=100, activity_known=False)
    # --- Canva: no contract, no list price ---
    account("design", "quinn", ("canva",), last_active=120)
    # --- 1Password: a price that ends in half a cent ---
    account("it", "uma", ("1password",), last_active=95)
    # --- Evernote (note taking, inside the suites): bob's only seat there is idle ---
    account("it", "bob", ("evernote",), last_active=100)
    return c


CONTRACT_HEADER = [
    "contract_number", "vendor", "application", "product", "start_date", "end_date",
    "renewal_date", "auto_renew", "notice_days", "billing_cycle", "seats", "unit_price",
    "total_cost", "currency", "is_trial",
]  # fmt: skip


def _row(
    number: str,
    vendor: str,
    application: str,
    product: str = "",
    *,
    start: date,
    end: date | None = None,
    renewal: date | None = None,
    auto_renew: bool = False,
    notice_days: int = 0,
    cycle: str = "annual",
    seats: int | None = None,
    unit_price: str = "",
    total_cost: str = "",
    currency: str = "USD",
    trial: bool = False,
) -> list[str]:
    return [
        number,
        vendor,
        application,
        product,
        start.isoformat(),
        "" if end is None else end.isoformat(),
        "" if renewal is None else renewal.isoformat(),
        "yes" if auto_renew else "no",
        str(notice_days),
        cycle,
        "" if seats is None else str(seats),
        unit_price,
        total_cost,
        currency,
        "yes" if trial else "no",
    ]


def _dated(number: str, vendor: str, app: str, renewal_in: int, **kw: Any) -> list[str]:
    """A year-long contract without product whose renewal is ``renewal_in`` days ahead."""
    renewal = in_days(renewal_in)
    return _row(
        number,
        vendor,
        app,
        start=renewal - timedelta(days=365),
        end=renewal - timedelta(days=1),
        renewal=renewal,
        unit_price="100.00",
        **kw,
    )


def contracts_csv() -> str:
    """The contracts file: pricing contracts, then the contract-date cases."""
    d = date.fromisoformat
    rows = [
        # Pricing: three E3 contracts (one expired; of the two active, the later start prices).
        _row("MS-E3-2025", "Microsoft", "Microsoft 365", "SPE_E3",
             start=d("2025-01-01"), end=d("2025-12-31"), unit_price="360.00"),
        _row("MS-E3-EA", "Microsoft", "Microsoft 365", "SPE_E3",
             start=d("2025-06-01"), end=d("2027-05-31"), unit_price="480.00"),
        _row("MS-E3-2026", "Microsoft", "Microsoft 365", "SPE_E3",
             start=d("2026-06-01"), end=d("2027-05-31"), unit_price="430.00"),
        # A renewal signed for next year: not started, so it neither prices nor duplicates.
        _row("MS-E3-2027", "Microsoft", "Microsoft 365", "SPE_E3",
             start=d("2027-06-01"), end=d("2028-05-31"), unit_price="500.00"),
        _row("MS-E5-2026", "Microsoft", "Microsoft 365", "SPE_E5",
             start=d("2026-01-01"), end=d("2027-12-31"), cycle="biennial", unit_price="1250.00"),
        _row("SLK-2026", "Salesforce", "Slack", "Slack Business+",
             start=d("2026-08-01"), end=d("2027-07-31"), cycle="quarterly", unit_price="26.00"),
        _row("ZM-2026", "Zoom Communications", "Zoom Workplace", "Zoom Business",
             start=d("2026-01-01"), cycle="monthly", unit_price="15.99"),
        _row("WBX-2026", "Cisco", "Webex", "Webex Meet",
             start=d("2026-07-01"), end=d("2027-06-30"), seats=2, total_cost="200.00",
             currency="EUR"),
        _row("1P-2026", "1Password", "1Password", "1Password Business",
             start=d("2026-04-01"), end=d("2027-03-31"), unit_price="30.06"),
        # Two active, overlapping contracts for one application, neither naming a product.
        _row("FIG-A", "Figma", "Figma", start=d("2026-03-01"), end=d("2027-02-28"),
             unit_price="180.00"),
        _row("FIG-B", "Figma", "Figma", start=d("2026-09-01"), end=d("2027-08-31"),
             unit_price="180.00"),
        # Renewal horizon 90 days: 90 in, 91 out.
        _dated("ASN-R90", "Asana", "Asana", 90),
        _dated("NOT-R91", "Notion Labs", "Notion", 91),
        # Auto-renewing, 120 days' notice: deadline today, +30, +60 (in) and +61 (out).
        _dated("MIRO-N0", "Miro", "Miro", 120, auto_renew=True, notice_days=120),
        _dated("DBX-N30", "Dropbox", "Dropbox", 150, auto_renew=True, notice_days=120),
        _dated("DSG-N60", "Docusign", "Docusign eSignature", 180, auto_renew=True,
               notice_days=120),
        _dated("ZD-N61", "Zendesk", "Zendesk", 181, auto_renew=True, notice_days=120),
        # Renews in 45 days with 30 days' notice: renewal_due and notice_deadline (in 15).
        _dated("BOX-BOTH", "Box", "Box", 45, auto_renew=True, notice_days=30),
        # Deadline passed 20 days ago, renewal still 100 days ahead: notice missed.
        _dated("HS-MISSED", "HubSpot", "HubSpot Sales Hub", 100, auto_renew=True,
               notice_days=120),
        # Deadline and renewal both passed: nothing.
        _dated("AT-LAPSED", "Airtable", "Airtable", -5, auto_renew=True, notice_days=30),
        # Trials ending in 14 (in) and 15 (out) days.
        _row("LOOM-T14", "Atlassian", "Loom", start=in_days(-16), end=in_days(14), trial=True),
        _row("CAL-T15", "Calendly", "Calendly", start=in_days(-15), end=in_days(15), trial=True),
    ]  # fmt: skip
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CONTRACT_HEADER)
    writer.writerows(rows)
    return out.getvalue()


def write_contracts(directory: Path) -> Path:
    """Write the contracts file into ``directory`` and return its path."""
    path = directory / "contracts.csv"
    path.write_text(contracts_csv(), encoding="utf-8")
    return path
