"""Demo step: contracts and invoices for the sandbox company, dated relative to today.

The shipped files ``demo_data/contracts.csv`` and ``invoices.csv`` hold placeholders
filled at demo time, so every contract finding shows up whatever day the demo runs:

* ``{today+N}`` / ``{today-N}`` — a date N days from the demo's today;
* ``{owner:Department}`` — the first active person of that department (so owners exist);
* ``{slack_product}`` — the synced Slack workspace's product id;
* ``{seats:REF}`` — the seats a product needs: the vendor's purchased figure, else
  about 10 % over what is consumed, else 50;
* ``{total:REF:PRICE}`` — ``{seats:REF}`` times PRICE.

The filled files are written to the demo directory and imported through the same parse
and import services ``seatwise import`` uses.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from importlib import resources
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.core.db import session_scope
from app.inventory.contract_rows import parse_contracts
from app.inventory.contracts import find_product, import_contracts
from app.inventory.models import Application, Product
from app.people.models import Person
from app.spend.invoice_rows import parse_invoices
from app.spend.invoices import import_invoices

_PLACEHOLDER = re.compile(r"\{(today[+-]\d+|owner:[^}]+|seats:[^}:]+|total:[^}:]+:[\d.]+)\}")


def _domain(session: Session) -> str:
    emails = session.exec(select(Person.email).limit(200)).all()
    domains = [e.rsplit("@", 1)[-1] for e in emails if "@" in e]
    return max(set(domains), key=domains.count) if domains else "example.com"


class _Filler:
    """Resolves placeholders against the demo database, caching each answer."""

    def __init__(self, session: Session, today: date) -> None:
        self.session = session
        self.today = today
        self.domain = _domain(session)
        self._seats: dict[str, int] = {}

    def slack_product(self) -> str:
        found = self.session.exec(
            select(Product)
            .join(Application, col(Application.id) == Product.application_id)
            .where(func.lower(Application.name) == "slack")
            .order_by(col(Product.id))
        ).first()
        return found.external_id if found is not None else "Slack"

    def owner(self, department: str) -> str:
        person = self.session.exec(
            select(Person)
            .where(Person.department == department)
            .where(Person.status == "active")
            .order_by(col(Person.id))
        ).first()
        return person.email if person is not None else f"procurement@{self.domain}"

    def seats(self, ref: str) -> int:
        if ref not in self._seats:
            product = find_product(session=self.session, ref=ref, application_id=None)
            seats = 50
            if product is not None and product.seats_purchased:
                seats = product.seats_purchased
            elif product is not None and product.seats_consumed:
                seats = product.seats_consumed + max(2, product.seats_consumed // 10)
            self._seats[ref] = seats
        return self._seats[ref]

    def fill(self, text: str) -> str:
        text = text.replace("{slack_product}", self.slack_product())
        return _PLACEHOLDER.sub(lambda m: self._one(m.group(1)), text)

    def _one(self, token: str) -> str:
        if token.startswith("today"):
            return (self.today + timedelta(days=int(token[5:]))).isoformat()
        kind, _, rest = token.partition(":")
        if kind == "owner":
            return self.owner(rest)
        if kind == "seats":
            return str(self.seats(rest))
        ref, _, price = rest.rpartition(":")
        return str(Decimal(price) * self.seats(ref))


def import_demo_contracts(ctx: Any) -> None:
    """Write the demo's contracts and invoices files and import them."""
    package = resources.files("app.inventory") / "demo_data"
    ctx.directory.mkdir(parents=True, exist_ok=True)
    with session_scope(ctx.engine) as session:
        filler = _Filler(session, ctx.today)
        contracts_file = ctx.directory / "contracts.csv"
        invoices_file = ctx.directory / "invoices.csv"
        contracts_file.write_text(filler.fill((package / "contracts.csv").read_text("utf-8")))
        invoices_file.write_text(filler.fill((package / "invoices.csv").read_text("utf-8")))
        contracts = import_contracts(
            session=session, rows=parse_contracts(contracts_file.read_bytes())
        )
        invoices = import_invoices(session=session, rows=parse_invoices(invoices_file.read_bytes()))
    ctx.say(
        f"imported {contracts.created} contracts and {invoices.created} invoices "
        f"from {contracts_file} and {invoices_file}"
    )
    for warning in contracts.warnings:
        ctx.say(f"  {warning}")
