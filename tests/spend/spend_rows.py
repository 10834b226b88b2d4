"""Row builders for the spend tests (ORM rows, no import code) and a known data set."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from app.inventory.models import Application, Product, Subscription, Vendor
from app.people.models import Account, Assignment, Person
from app.spend.models import FxRate, Invoice
from app.sync.models import ConnectorConfig


def vendor(s: Session, name: str) -> Vendor:
    """Return the vendor called ``name``, creating it."""
    row = s.exec(select(Vendor).where(Vendor.name == name)).first()
    if row is None:
        row = Vendor(name=name)
        s.add(row)
        s.flush()
    return row


def application(
    s: Session, name: str, vendor_name: str, category: str | None = None
) -> Application:
    """Create an application of a vendor."""
    row = Application(name=name, vendor_id=vendor(s, vendor_name).id, category=category)
    s.add(row)
    s.flush()
    return row


def product(s: Session, app: Application, name: str) -> Product:
    """Create a product (SKU) of an application."""
    row = Product(application_id=app.id or 0, external_id=name, name=name)
    s.add(row)
    s.flush()
    return row


def contract(s: Session, app: Application, number: str, **fields: Any) -> Subscription:
    """Create a contract of an application (EUR, annual, from 2026-01-01 by default)."""
    values: dict[str, Any] = {
        "vendor_id": app.vendor_id,
        "application_id": app.id,
        "contract_number": number,
        "start_date": date(2026, 1, 1),
        "currency": "EUR",
        "billing_cycle": "annual",
    }
    values.update(fields)
    for key in ("unit_price", "total_cost"):
        if values.get(key) is not None:
            values[key] = Decimal(str(values[key]))
    row = Subscription(**values)
    s.add(row)
    s.flush()
    return row


def invoice(
    s: Session,
    vendor_name: str,
    number: str,
    day: date,
    amount: str,
    currency: str = "EUR",
    sub: Subscription | None = None,
    app: Application | None = None,
) -> Invoice:
    """Create an invoice, tied to a contract when given."""
    row = Invoice(
        vendor_id=vendor(s, vendor_name).id or 0,
        application_id=None if app is None else app.id,
        subscription_id=None if sub is None else sub.id,
        invoice_number=number,
        invoice_date=day,
        amount=Decimal(amount),
        currency=currency,
    )
    s.add(row)
    s.flush()
    return row


def person(s: Session, email: str, department: str | None, cost_centre: str | None) -> Person:
    """Create a person with a department and cost centre."""
    row = Person(email=email, department=department, cost_centre=cost_centre)
    s.add(row)
    s.flush()
    return row


def seat(
    s: Session,
    holder: Person,
    prod: Product,
    assigned: date | None = None,
    removed: date | None = None,
) -> Assignment:
    """Give a person a seat of a product (through an account of a test connector)."""
    connector = s.exec(select(ConnectorConfig).where(ConnectorConfig.name == "idp")).first()
    if connector is None:
        connector = ConnectorConfig(kind="spreadsheet", name="idp")
        s.add(connector)
        s.flush()
    account = s.exec(
        select(Account).where(Account.person_id == holder.id, Account.connector_id == connector.id)
    ).first()
    if account is None:
        account = Account(
            connector_id=connector.id or 0,
            external_id=holder.email,
            person_id=holder.id,
            email=holder.email,
        )
        s.add(account)
        s.flush()

    def stamp(d: date | None) -> datetime | None:
        return None if d is None else datetime(d.year, d.month, d.day, 12, tzinfo=UTC)

    row = Assignment(
        account_id=account.id or 0,
        product_id=prod.id or 0,
        assigned_at=stamp(assigned),
        removed_at=stamp(removed),
    )
    s.add(row)
    s.flush()
    return row


def rate(s: Session, base: str, quote: str, day: date, value: str) -> None:
    """Store an FX rate."""
    s.add(FxRate(base=base, quote=quote, day=day, rate=Decimal(value)))
    s.flush()


def known_company(s: Session) -> None:
    """The data set whose figures ``EXPECTED`` holds (report 2026-01..2026-03, EUR).

    * CHAT-1 (Acme, Chat): 4 seats x 120 EUR a year, 2026 → 40.00 a month; seats held
      by alice, bob (Engineering, CC-1), carol (Sales, CC-2), one seat unassigned.
    * DOCS-1 (Beta, Docs): 1000.00 EUR for 2026-01..03 → 333.34, 333.33, 333.33;
      own cost centre CC-9; seats held by alice, carol and dave (Ops, no cost centre).
    * MAIL-1 (Acme, Mail): invoiced 500 USD on 2026-01-15 and 250 USD on 2026-02-10
      (its total_cost 9999 must never be amortised); USD→EUR 0.9; held by bob.
    * An invoice of Beta tied to no contract: 100.00 EUR on 2026-03-05.
    """
    alice = person(s, "alice@example.com", "Engineering", "CC-1")
    bob = person(s, "bob@example.com", "Engineering", "CC-1")
    carol = person(s, "carol@example.com", "Sales", "CC-2")
    dave = person(s, "dave@example.com", "Ops", None)
    chat = application(s, "Chat", "Acme", "Communication")
    docs = application(s, "Docs", "Beta", "Productivity")
    mail = application(s, "Mail", "Acme", "Communication")
    chat_p, docs_p, mail_p = (
        product(s, chat, "chat"),
        product(s, docs, "docs"),
        product(s, mail, "mail"),
    )
    contract(
        s,
        chat,
        "CHAT-1",
        product_id=chat_p.id,
        seats=4,
        unit_price="120",
        end_date=date(2026, 12, 31),
    )
    contract(
        s,
        docs,
        "DOCS-1",
        product_id=docs_p.id,
        total_cost="1000.00",
        end_date=date(2026, 3, 31),
        cost_centre="CC-9",
    )
    mail_c = contract(
        s,
        mail,
        "MAIL-1",
        product_id=mail_p.id,
        total_cost="9999",
        currency="USD",
        end_date=date(2026, 12, 31),
    )
    for holder in (alice, bob, carol):
        seat(s, holder, chat_p)
    for holder in (alice, carol, dave):
        seat(s, holder, docs_p)
    seat(s, bob, mail_p)
    invoice(s, "Acme", "INV-1", date(2026, 1, 15), "500.00", "USD", sub=mail_c)
    invoice(s, "Acme", "INV-2", date(2026, 2, 10), "250.00", "USD", sub=mail_c)
    invoice(s, "Beta", "INV-3", date(2026, 3, 5), "100.00", "EUR")
    rate(s, "USD", "EUR", date(2025, 12, 31), "0.9")


def usd_shared_by_people(s: Session, people: int, invoices: dict[int, str]) -> None:
    """A USD contract invoiced in 2026 (``invoices``: month → amount), a seat per person.

    People ``p00@example.com``… in departments ``D0``..``D2``; USD→EUR 0.9137, so their
    converted shares have fractions of a cent.
    """
    app = application(s, "Chat", "Acme")
    prod = product(s, app, "chat")
    sub = contract(s, app, "CHAT-USD", product_id=prod.id, seats=people, total_cost="9999",
                   currency="USD", end_date=date(2026, 12, 31))  # fmt: skip
    for i in range(people):
        seat(s, person(s, f"p{i:02d}@example.com", f"D{i % 3}", None), prod)
    for month, amount in invoices.items():
        invoice(s, "Acme", f"INV-{month}", date(2026, month, 10), amount, "USD", sub=sub)
    rate(s, "USD", "EUR", date(2025, 12, 31), "0.9137")


MONTHS = ["2026-01", "2026-02", "2026-03"]
#: by → key → [Jan, Feb, Mar, total]; "Total" is the totals row.
EXPECTED: dict[str, dict[str, list[str]]] = {
    "vendor": {
        "Acme": ["490.00", "265.00", "40.00", "795.00"],
        "Beta": ["333.34", "333.33", "433.33", "1100.00"],
        "Total": ["823.34", "598.33", "473.33", "1895.00"],
    },
    "department": {
        "Engineering": ["581.12", "356.11", "131.11", "1068.34"],
        "Ops": ["111.11", "111.11", "111.11", "333.33"],
        "Sales": ["121.11", "121.11", "121.11", "363.33"],
        "Unallocated": ["10.00", "10.00", "110.00", "130.00"],
        "Total": ["823.34", "598.33", "473.33", "1895.00"],
    },
    "cost_centre": {
        "CC-1": ["470.00", "245.00", "20.00", "735.00"],
        "CC-2": ["10.00", "10.00", "10.00", "30.00"],
        "CC-9": ["333.34", "333.33", "333.33", "1000.00"],
        "Unallocated": ["10.00", "10.00", "110.00", "130.00"],
        "Total": ["823.34", "598.33", "473.33", "1895.00"],
    },
}


def slack_members_without_email(s: Session) -> None:
    """A Slack workspace whose seats (CHAT-S, 2026, 100.00 EUR a month over 5 seats)
    are held by members without an e-mail: Isaac Moreau (U001), a member with no
    display name (U002), two namesakes Sam Lee (U003, U004) — and ann@example.com.
    """
    app = application(s, "Slack", "Slack")
    prod = product(s, app, "slack-pro")
    contract(s, app, "CHAT-S", product_id=prod.id, seats=5, total_cost="1200.00",
             end_date=date(2026, 12, 31))  # fmt: skip
    connector = ConnectorConfig(kind="slack", name="slack")
    s.add(connector)
    s.flush()
    members = [("U001", "Isaac Moreau", None), ("U002", "  ", None), ("U003", "Sam Lee", None),
               ("U004", "Sam Lee", ""), ("U005", "Ann", "ann@example.com")]  # fmt: skip
    for external_id, name, email in members:
        account = Account(
            connector_id=connector.id or 0, external_id=external_id, display_name=name, email=email
        )
        s.add(account)
        s.flush()
        s.add(Assignment(account_id=account.id or 0, product_id=prod.id or 0))
    s.flush()
