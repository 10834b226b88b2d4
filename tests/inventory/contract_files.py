"""Builders of contract and invoice files for the import tests."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook

CONTRACT_HEADER = [
    "contract_number",
    "vendor",
    "application",
    "product",
    "start_date",
    "end_date",
    "renewal_date",
    "auto_renew",
    "notice_days",
    "billing_cycle",
    "seats",
    "unit_price",
    "total_cost",
    "currency",
    "owner_email",
    "cost_centre",
    "department",
    "is_trial",
    "notes",
]
INVOICE_HEADER = [
    "invoice_number",
    "vendor",
    "application",
    "contract_number",
    "invoice_date",
    "period_start",
    "period_end",
    "amount",
    "currency",
]


def contract(**overrides: Any) -> dict[str, Any]:
    """A valid contract row (as file cells), with overrides."""
    row: dict[str, Any] = {
        "contract_number": "C-100",
        "vendor": "Atlassian",
        "application": "Jira",
        "product": "",
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "renewal_date": "2027-01-01",
        "auto_renew": "yes",
        "notice_days": "30",
        "billing_cycle": "annual",
        "seats": "50",
        "unit_price": "120.00",
        "total_cost": "6000.00",
        "currency": "EUR",
        "owner_email": "owner@acme.example",
        "cost_centre": "CC-1",
        "department": "Engineering",
        "is_trial": "no",
        "notes": "",
    }
    row.update(overrides)
    return row


def invoice(**overrides: Any) -> dict[str, Any]:
    """A valid invoice row for contract C-100 of Atlassian, with overrides."""
    row: dict[str, Any] = {
        "invoice_number": "INV-1",
        "vendor": "Atlassian",
        "application": "Jira",
        "contract_number": "C-100",
        "invoice_date": "2026-01-05",
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
        "amount": "6000.00",
        "currency": "EUR",
    }
    row.update(overrides)
    return row


def csv_bytes(rows: list[dict[str, Any]], header: list[str] | None = None, sep: str = ",") -> bytes:
    """A CSV file of ``rows`` under ``header`` (default: the keys of the first row)."""
    columns = header or list(rows[0])
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return out.getvalue().encode("utf-8")


def xlsx_bytes(
    rows: list[list[Any]], header: list[str], extra_sheets: tuple[str, ...] = ()
) -> bytes:
    """An XLSX workbook with ``header`` and ``rows`` on its first sheet."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Contracts"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    for name in extra_sheets:
        workbook.create_sheet(name).append(["anything"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def xlsx_contract_row(**overrides: Any) -> list[Any]:
    """A contract row with real date and number cells, in CONTRACT_HEADER order."""
    values: dict[str, Any] = {
        **contract(),
        "start_date": datetime(2026, 1, 1),
        "end_date": datetime(2026, 12, 31),
        "renewal_date": date(2027, 1, 1),
        "auto_renew": True,
        "notice_days": 30,
        "seats": 50,
        "unit_price": 120.0,
        "total_cost": 6000,
        "is_trial": False,
        "notes": None,
        "product": None,
    }
    values.update(overrides)
    return [values[c] for c in CONTRACT_HEADER]
