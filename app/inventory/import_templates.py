"""Empty import files to fill in: the columns and one example row that imports cleanly.

The XLSX template stores real date cells and number cells, as a user's own workbook
would; the example invoice references the example contract, so importing the contracts
template and then the invoices template works as a first try.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from app.core.errors import InvalidInputError
from app.inventory.contract_rows import CONTRACT_COLUMN_NAMES
from app.spend.invoice_rows import INVOICE_COLUMN_NAMES

TemplateKind = Literal["contracts", "invoices"]
TemplateFormat = Literal["csv", "xlsx"]
KINDS: tuple[str, ...] = ("contracts", "invoices")
FORMATS: tuple[str, ...] = ("csv", "xlsx")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

_EXAMPLES: dict[str, dict[str, Any]] = {
    "contracts": {
        "contract_number": "MS-2026-001",
        "vendor": "Microsoft",
        "application": "Microsoft 365",
        "product": "SPE_E3",
        "start_date": date(2026, 1, 1),
        "end_date": date(2026, 12, 31),
        "renewal_date": date(2027, 1, 1),
        "auto_renew": "yes",
        "notice_days": 30,
        "billing_cycle": "annual",
        "seats": 100,
        "unit_price": Decimal("432.00"),
        "total_cost": Decimal("43200.00"),
        "currency": "EUR",
        "owner_email": "it.owner@example.com",
        "cost_centre": "CC-1800",
        "department": "IT",
        "is_trial": "no",
        "notes": "Enterprise agreement, price fixed for the term",
    },
    "invoices": {
        "invoice_number": "INV-2026-0001",
        "vendor": "Microsoft",
        "application": "Microsoft 365",
        "contract_number": "MS-2026-001",
        "invoice_date": date(2026, 1, 5),
        "period_start": date(2026, 1, 1),
        "period_end": date(2026, 12, 31),
        "amount": Decimal("43200.00"),
        "currency": "EUR",
    },
}


def template_columns(kind: str) -> tuple[str, ...]:
    """The columns of a file kind, in template order."""
    if kind == "contracts":
        return CONTRACT_COLUMN_NAMES
    if kind == "invoices":
        return INVOICE_COLUMN_NAMES
    raise InvalidInputError(f"unknown template {kind!r}; expected one of {', '.join(KINDS)}")


def template_bytes(kind: str, fmt: str) -> bytes:
    """The template file's content."""
    columns = template_columns(kind)
    example = _EXAMPLES[kind]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerow(["" if example[c] is None else str(example[c]) for c in columns])
        return out.getvalue().encode("utf-8")
    if fmt == "xlsx":
        return _xlsx(kind, columns, example)
    raise InvalidInputError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


def _xlsx(kind: str, columns: tuple[str, ...], example: dict[str, Any]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = kind.capitalize()
    sheet.append(list(columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    values = [float(v) if isinstance(v, Decimal) else v for v in (example[c] for c in columns)]
    sheet.append(values)
    for cell in sheet[2]:
        if isinstance(cell.value, date):
            cell.number_format = "yyyy-mm-dd"
        elif isinstance(cell.value, float):
            cell.number_format = "0.00"
    for index, name in enumerate(columns, start=1):
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = max(12, len(name) + 2)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
