"""Invoices files: validation, contract references, idempotent re-import, updates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from app.inventory.contract_rows import parse_contracts
from app.inventory.contracts import import_contracts
from app.inventory.import_files import ImportRefused
from app.inventory.models import Subscription
from app.spend.invoice_rows import INVOICE_COLUMN_NAMES, parse_invoices
from app.spend.invoices import import_invoices
from app.spend.models import Invoice
from tests.inventory.contract_files import contract, csv_bytes, invoice


def _contracts(session: Session) -> None:
    import_contracts(session=session, rows=parse_contracts(csv_bytes([contract()])))


def _import(session: Session, *rows: dict[str, str]) -> tuple[int, int, int]:
    result = import_invoices(session=session, rows=parse_invoices(csv_bytes(list(rows))))
    return result.created, result.updated, result.unchanged


def test_invoice_linked_to_its_contract_and_application(session: Session) -> None:
    _contracts(session)
    assert _import(session, invoice(application="")) == (1, 0, 0)
    stored = session.exec(select(Invoice)).one()
    sub = session.exec(select(Subscription)).one()
    assert stored.subscription_id == sub.id and stored.application_id == sub.application_id
    assert stored.amount == Decimal("6000.00") and stored.currency == "EUR"


def test_reimporting_the_same_invoices_file_changes_nothing(session: Session) -> None:
    _contracts(session)
    rows = [invoice(), invoice(invoice_number="INV-2", amount="-500.00")]
    assert _import(session, *rows) == (2, 0, 0)
    assert _import(session, *rows) == (0, 0, 2)
    assert len(session.exec(select(Invoice)).all()) == 2


def test_changed_invoice_row_updates_it(session: Session) -> None:
    _contracts(session)
    _import(session, invoice())
    assert _import(session, invoice(amount="6100.00")) == (0, 1, 0)
    assert session.exec(select(Invoice)).one().amount == Decimal("6100.00")


def test_invoice_file_without_a_column_leaves_that_value_of_stored_invoices_alone(
    session: Session,
) -> None:
    _contracts(session)
    _import(session, invoice())
    # Accounts payable's correction: number, vendor, date, amount and currency only.
    kept = ("invoice_number", "vendor", "invoice_date", "amount", "currency")
    corrected = {c: v for c, v in invoice(amount="5900.00").items() if c in kept}
    assert _import(session, corrected) == (0, 1, 0)
    session.expire_all()
    stored = session.exec(select(Invoice)).one()
    sub = session.exec(select(Subscription)).one()
    assert stored.amount == Decimal("5900.00")
    assert stored.subscription_id == sub.id and stored.application_id == sub.application_id
    assert (stored.period_start, stored.period_end) == (date(2026, 1, 1), date(2026, 12, 31))
    assert _import(session, corrected) == (0, 0, 1)


def test_credit_notes_in_accounting_and_sap_formats_are_negative(session: Session) -> None:
    _contracts(session)
    us = [invoice(), invoice(invoice_number="CN-1", amount="(1,250.00)")]
    assert _import(session, *us) == (2, 0, 0)
    sap = [invoice(invoice_number="CN-2", amount="1.250,00-")]
    rows = parse_invoices(csv_bytes(sap, sep=";"), decimal_comma=True)
    assert import_invoices(session=session, rows=rows).created == 1
    amounts = {i.invoice_number: i.amount for i in session.exec(select(Invoice)).all()}
    assert amounts == {
        "INV-1": Decimal("6000.00"),
        "CN-1": Decimal("-1250.00"),
        "CN-2": Decimal("-1250.00"),
    }


def test_currency_codes_that_are_not_money_are_refused(session: Session) -> None:
    with pytest.raises(ImportRefused) as caught:
        parse_invoices(
            csv_bytes([invoice(currency="xxx"), invoice(invoice_number="2", currency="XAU")])
        )
    assert [str(p) for p in caught.value.problems] == [
        "row 2, column currency: XXX is an ISO 4217 code but not money a contract is paid in "
        "(The codes assigned for transactions where no currency is involved); use a currency "
        "such as EUR, USD or GBP",
        "row 3, column currency: XAU is an ISO 4217 code but not money a contract is paid in "
        "(Gold); use a currency such as EUR, USD or GBP",
    ]
    assert session.exec(select(Invoice)).all() == []
    # Real currencies whose codes start with X still import (CFA franc, CFP franc).
    rows = [invoice(currency="XOF"), invoice(invoice_number="INV-2", currency="XPF")]
    assert _import(session, *[{**r, "contract_number": ""} for r in rows]) == (2, 0, 0)


def test_invoice_without_contract_needs_only_vendor(session: Session) -> None:
    assert _import(session, invoice(contract_number="", application="")) == (1, 0, 0)
    stored = session.exec(select(Invoice)).one()
    assert stored.subscription_id is None and stored.application_id is None


def test_unknown_contract_number_refuses_the_file_and_writes_nothing(session: Session) -> None:
    _contracts(session)
    rows = parse_invoices(
        csv_bytes([invoice(), invoice(invoice_number="INV-2", contract_number="C-999")])
    )
    with pytest.raises(ImportRefused) as caught:
        import_invoices(session=session, rows=rows)
    assert [str(p) for p in caught.value.problems] == [
        "row 3, column contract_number: no contract 'C-999' of vendor 'Atlassian'; "
        "import the contract first"
    ]
    assert session.exec(select(Invoice)).all() == []


def test_contract_of_another_vendor_does_not_count(session: Session) -> None:
    _contracts(session)
    rows = parse_invoices(csv_bytes([invoice(vendor="Atlassian Pty Ltd")]))
    with pytest.raises(ImportRefused) as caught:
        import_invoices(session=session, rows=rows)
    # The message names the vendor that does hold the contract, so the mismatch is plain.
    assert [str(p) for p in caught.value.problems] == [
        "row 2, column contract_number: no contract 'C-100' of vendor 'Atlassian Pty Ltd', "
        "but 'Atlassian' has one; write the contract's vendor as it was imported, or import "
        "the contract first"
    ]
    assert session.exec(select(Invoice)).all() == []


def test_invoice_file_problems_are_listed_with_rows_and_columns() -> None:
    data = csv_bytes(
        [
            invoice(invoice_date="2026/01/05"),
            invoice(invoice_number="INV-2", currency="EURO", amount="12,50"),
            invoice(period_start="2026-02-01", period_end="2026-01-01"),
        ]
    )
    with pytest.raises(ImportRefused) as caught:
        parse_invoices(data)
    assert [str(p) for p in caught.value.problems] == [
        "row 2, column invoice_date: '2026/01/05' is not a date; write it as YYYY-MM-DD "
        "(e.g. 2026-12-31)",
        "row 3, column amount: '12,50' is not an amount; write 1234.56 or 1,234.56 "
        "(no currency signs; use --decimal-comma for 1.234,56)",
        "row 3, column currency: unknown currency code 'EURO'; use ISO 4217 (EUR, USD, GBP)",
        "row 4, column invoice_number: duplicate invoice number 'INV-1' for vendor "
        "'Atlassian' (also on row 2)",
        "row 4, column period_end: 2026-01-01 is before period_start 2026-02-01",
    ]


def test_missing_required_invoice_column_is_refused() -> None:
    header = [c for c in INVOICE_COLUMN_NAMES if c != "amount"]
    with pytest.raises(ImportRefused) as caught:
        parse_invoices(csv_bytes([invoice()], header=header))
    assert [str(p) for p in caught.value.problems] == [
        "row 1, column amount: required column is missing"
    ]


def test_invoice_amount_with_decimal_comma() -> None:
    (row,) = parse_invoices(csv_bytes([invoice(amount="1.234,56")], sep=";"), decimal_comma=True)
    assert row.amount == Decimal("1234.56")
