"""Invoices: applying imported rows, keyed by vendor + invoice number.

A new pair creates an invoice, a known pair with different values updates it, an
identical one is left alone (re-importing a file changes nothing); a column missing
from the file leaves that value of stored invoices alone. Every row's
``contract_number`` is checked against the contracts already stored before anything is
written, so a refused file leaves the database as it was.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from app.core.db import same_name
from app.inventory.import_files import ImportRefused, ImportResult, RowProblem
from app.inventory.models import Application, Subscription, Vendor
from app.inventory.service import resolve_application, resolve_vendor
from app.spend.invoice_rows import WHAT, InvoiceRow, sort_problems
from app.spend.models import Invoice

_COMPARED = (
    "application_id",
    "subscription_id",
    "invoice_date",
    "period_start",
    "period_end",
    "amount",
    "currency",
)


def _stated(row: InvoiceRow) -> tuple[str, ...]:
    """The fields the row's file states; the others keep their stored values on update."""
    columns = {
        "application_id": ("application", "contract_number"),
        "subscription_id": ("contract_number",),
    }
    return tuple(
        name for name in _COMPARED if any(c in row.columns for c in columns.get(name, (name,)))
    )


def _find_vendor(session: Session, name: str) -> Vendor | None:
    clean = " ".join(name.split())
    return session.exec(select(Vendor).where(same_name(Vendor.name, clean))).first()


def _vendors_holding(session: Session, contract_number: str) -> list[str]:
    """The vendors with a contract of this number (a reseller or a spelling mismatch)."""
    names = session.exec(
        select(Vendor.name)
        .join(Subscription, col(Subscription.vendor_id) == Vendor.id)
        .where(Subscription.contract_number == contract_number)
        .order_by(col(Vendor.name))
    ).all()
    return list(names)


def _contracts(session: Session, rows: list[InvoiceRow]) -> dict[int, Subscription]:
    """The contract each row names, by row number; refuses the file if any is unknown."""
    found: dict[int, Subscription] = {}
    problems: list[RowProblem] = []
    for row in rows:
        if not row.contract_number:
            continue
        vendor = _find_vendor(session, row.vendor)
        contract = None
        if vendor is not None:
            contract = session.exec(
                select(Subscription)
                .where(Subscription.vendor_id == vendor.id)
                .where(Subscription.contract_number == row.contract_number)
            ).first()
        if contract is None:
            problem = (
                f"no contract {row.contract_number!r} of vendor {row.vendor!r}; "
                "import the contract first"
            )
            others = _vendors_holding(session, row.contract_number)
            if others:
                listed = ", ".join(repr(name) for name in others)
                problem = (
                    f"no contract {row.contract_number!r} of vendor {row.vendor!r}, but "
                    f"{listed} {'has' if len(others) == 1 else 'have'} one; write the "
                    "contract's vendor as it was imported, or import the contract first"
                )
            problems.append(RowProblem(row.row, "contract_number", problem))
        else:
            found[row.row] = contract
    if problems:
        raise ImportRefused(WHAT, sort_problems(problems))
    return found


def import_invoices(*, session: Session, rows: list[InvoiceRow]) -> ImportResult:
    """Create or update the invoices of validated rows; report what changed.

    Raises:
        ImportRefused: A row names a contract Seatwise does not hold (nothing written).
    """
    contracts = _contracts(session, rows)
    result = ImportResult()
    applications: dict[str, Application] = {}
    for row in rows:
        vendor = resolve_vendor(session=session, name=row.vendor)
        contract = contracts.get(row.row)
        application_id = contract.application_id if contract is not None else None
        if row.application:
            key = row.application.lower()
            if key not in applications:
                applications[key] = resolve_application(
                    session=session, name=row.application, vendor_name=row.vendor
                )
            application_id = applications[key].id
        values: dict[str, Any] = {
            "application_id": application_id,
            "subscription_id": contract.id if contract is not None else None,
            "invoice_date": row.invoice_date,
            "period_start": row.period_start,
            "period_end": row.period_end,
            "amount": row.amount,
            "currency": row.currency,
        }
        existing = session.exec(
            select(Invoice)
            .where(Invoice.vendor_id == vendor.id)
            .where(Invoice.invoice_number == row.invoice_number)
        ).first()
        if existing is None:
            assert vendor.id is not None
            session.add(Invoice(vendor_id=vendor.id, invoice_number=row.invoice_number, **values))
            result.created += 1
            continue
        changed = False
        for name in _stated(row):
            if getattr(existing, name) != values[name]:
                setattr(existing, name, values[name])
                changed = True
        if changed:
            session.add(existing)
            result.updated += 1
        else:
            result.unchanged += 1
    session.flush()
    return result
