"""The invoices file: its columns, the rules a row must meet, and the typed rows (no DB).

Columns: ``invoice_number, vendor, application, contract_number, invoice_date,
period_start, period_end, amount, currency`` (cells read as in
:mod:`app.inventory.import_cells`).

Decisions:

* Required: ``invoice_number``, ``vendor``, ``invoice_date``, ``amount``, ``currency``.
* ``amount`` may be negative: a credit note is an invoice with a negative amount.
* ``period_end`` may not fall before ``period_start``.
* ``contract_number``, when given, must name a contract of the same vendor already in
  Seatwise (import contracts first); that check needs the database and is made by
  :func:`app.spend.invoices.import_invoices` before anything is written.
* An invoice number may appear once per vendor in a file.
* Each row records which columns its file had (``columns``): updating a stored invoice
  changes only what the file states (see :mod:`app.inventory.contract_rows`).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from app.inventory.import_cells import (
    ColumnSpec,
    duplicate_problems,
    map_rows,
    present_columns,
)
from app.inventory.import_files import ImportRefused, RowProblem, read_table

WHAT = "invoices"

INVOICE_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("invoice_number", required=True, max_length=200),
    ColumnSpec("vendor", required=True, max_length=200),
    ColumnSpec("application", max_length=200),
    ColumnSpec("contract_number", max_length=200),
    ColumnSpec("invoice_date", "date", required=True),
    ColumnSpec("period_start", "date"),
    ColumnSpec("period_end", "date"),
    ColumnSpec("amount", "signed_money", required=True),
    ColumnSpec("currency", "currency", required=True),
)
INVOICE_COLUMN_NAMES = tuple(c.name for c in INVOICE_COLUMNS)


class InvoiceRow(BaseModel):
    """One validated invoice row."""

    model_config = ConfigDict(frozen=True)

    row: int
    invoice_number: str
    vendor: str
    application: str | None = None
    contract_number: str | None = None
    invoice_date: date
    period_start: date | None = None
    period_end: date | None = None
    amount: Decimal
    currency: str
    columns: frozenset[str] = frozenset(INVOICE_COLUMN_NAMES)


def parse_invoices(data: bytes, *, decimal_comma: bool = False) -> list[InvoiceRow]:
    """Read and validate a whole invoices file (CSV or XLSX).

    Raises:
        ImportRefused: Any problem in any row; it lists them all.
    """
    table = read_table(data, what=WHAT, columns=INVOICE_COLUMN_NAMES)
    rows, problems = map_rows(table, INVOICE_COLUMNS, what=WHAT, decimal_comma=decimal_comma)
    columns = present_columns(table, INVOICE_COLUMNS)
    bad_rows = {p.row for p in problems}
    invoices: list[InvoiceRow] = []
    for number, v in rows:
        start, end = v["period_start"], v["period_end"]
        if start is not None and end is not None and end < start:
            problems.append(
                RowProblem(number, "period_end", f"{end} is before period_start {start}")
            )
            continue
        if number in bad_rows:
            continue
        invoices.append(InvoiceRow(row=number, columns=columns, **v))
    keyed = [
        (number, (str(v["vendor"]), str(v["invoice_number"])))
        for number, v in rows
        if v["vendor"] and v["invoice_number"]
    ]
    problems.extend(duplicate_problems(keyed, column="invoice_number", label="invoice number"))
    if not rows and not problems:
        problems.append(RowProblem(None, None, "the file has a header but no invoice rows"))
    if problems:
        raise ImportRefused(WHAT, sort_problems(problems))
    return invoices


def sort_problems(problems: list[RowProblem]) -> list[RowProblem]:
    """Problems in file order: by row, then by column position."""

    def order(p: RowProblem) -> tuple[int, int]:
        column = p.column or ""
        index = INVOICE_COLUMN_NAMES.index(column) if column in INVOICE_COLUMN_NAMES else -1
        return (p.row or 0, index)

    return sorted(problems, key=order)
