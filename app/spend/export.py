"""Report files: JSON, CSV (UTF-8, header row, totals row) and XLSX for finance.

Every file is written to a temporary file in the target's directory and moved into
place with ``os.replace``, so a failed export leaves no file (and never half of one).
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from app.core.cells import csv_text, xlsx_text
from app.core.errors import InvalidInputError
from app.spend.service import SpendReport

FORMATS = ("json", "csv", "xlsx")
MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
TITLES = {
    "app": "Application",
    "vendor": "Vendor",
    "category": "Category",
    "department": "Department",
    "cost_centre": "Cost centre",
    "person": "Person",
}
_HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")


def check_format(value: str) -> str:
    """Return a valid format name.

    Raises:
        InvalidInputError: The format is unknown (the message lists the valid ones).
    """
    name = value.strip().lower()
    if name not in FORMATS:
        raise InvalidInputError(f"unknown format {value!r}; valid formats: {', '.join(FORMATS)}")
    return name


def reports_json(reports: Sequence[SpendReport]) -> dict[str, Any]:
    """Return one report's JSON shape, or ``{"reports": [...]}`` for several."""
    if len(reports) == 1:
        return reports[0].to_dict()
    return {"reports": [r.to_dict() for r in reports]}


def json_bytes(reports: Sequence[SpendReport]) -> bytes:
    """Return the JSON document, indented, UTF-8."""
    return (json.dumps(reports_json(reports), indent=2, ensure_ascii=False) + "\n").encode()


def csv_bytes(reports: Sequence[SpendReport]) -> bytes:
    """Return the CSV: header ``<by>,YYYY-MM,...,total``, one row per key, a totals row.

    Raises:
        InvalidInputError: More than one grouping was asked (a CSV holds one table).
    """
    if len(reports) != 1:
        raise InvalidInputError(
            "a CSV holds one table: ask for one --by grouping, or use --format xlsx"
        )
    report = reports[0]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    shown = report.shown
    writer.writerow([report.by, *report.months, "total"])
    for row in shown.rows:
        writer.writerow([csv_text(row.key), *row.months, row.total])
    writer.writerow(["Total", *shown.totals, shown.grand_total])
    return buffer.getvalue().encode("utf-8")


def xlsx_bytes(reports: Sequence[SpendReport], notes: Sequence[str] = ()) -> bytes:
    """Return the workbook: a sheet per grouping, a chart sheet, an about sheet."""
    buffer = io.BytesIO()
    build_workbook(reports, notes).save(buffer)
    return buffer.getvalue()


def build_workbook(reports: Sequence[SpendReport], notes: Sequence[str] = ()) -> Workbook:
    """Build the finance workbook (write-only, so 100,000 rows stay quick)."""
    workbook = Workbook(write_only=True)
    first_sheet = None
    for report in reports:
        sheet = _report_sheet(workbook, report)
        first_sheet = first_sheet or (sheet, report)
    if first_sheet is not None:
        _chart_sheet(workbook, *first_sheet)
    about = workbook.create_sheet("About")
    report = reports[0]
    about.append(["Report", f"{report.kind} by {', '.join(r.by for r in reports)}"])
    about.append(["Currency", report.currency])
    about.append(["From", report.months[0]])
    about.append(["To", report.months[-1]])
    for note in notes:
        about.append(["Note", note])
    return workbook


def _report_sheet(workbook: Workbook, report: SpendReport) -> Any:
    prefix = "Forecast by" if report.kind == "forecast" else "By"
    sheet = workbook.create_sheet(f"{prefix} {TITLES[report.by].lower()}"[:31])
    months = report.months
    last_col = get_column_letter(len(months) + 2)
    data_end = len(report.rows) + 1
    sheet.freeze_panes = "B2"
    sheet.auto_filter.ref = f"A1:{last_col}{max(data_end, 2)}"
    sheet.column_dimensions["A"].width = max(
        [14, *(min(len(r.key), 60) + 2 for r in report.rows[:1000])]
    )
    for i in range(len(months) + 1):
        sheet.column_dimensions[get_column_letter(i + 2)].width = 14
    number_format = f'#,##0.00 "{report.currency}";[Red]-#,##0.00 "{report.currency}"'
    bold = Font(bold=True)

    def text(value: str, header: bool = False) -> WriteOnlyCell:
        cell = xlsx_text(WriteOnlyCell(sheet, value=value))
        if header:
            cell.font = bold
            cell.fill = _HEADER_FILL
            cell.alignment = Alignment(horizontal="center")
        return cell

    def amount(value: Decimal, strong: bool = False) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = number_format
        if strong:
            cell.font = bold
        return cell

    header = [TITLES[report.by], *months, "Total"]
    sheet.append([text(h, True) for h in header])
    shown = report.shown
    for row in shown.rows:
        sheet.append([text(row.key), *(amount(v) for v in row.months), amount(row.total, True)])
    total = text("Total")
    total.font = Font(bold=True)
    sheet.append([total, *(amount(v, True) for v in shown.totals), amount(shown.grand_total, True)])
    return sheet


def _chart_sheet(workbook: Workbook, sheet: Any, report: SpendReport) -> None:
    chart = BarChart()
    chart.type = "col"
    chart.title = f"Monthly {report.kind} ({report.currency})"
    chart.y_axis.title = report.currency
    chart.x_axis.title = "Month"
    totals_row = len(report.rows) + 2
    months = len(report.months)
    data = Reference(sheet, min_col=2, max_col=months + 1, min_row=totals_row, max_row=totals_row)
    labels = Reference(sheet, min_col=2, max_col=months + 1, min_row=1, max_row=1)
    chart.add_data(data, from_rows=True, titles_from_data=False)
    chart.set_categories(labels)
    chart.legend = None
    workbook.create_chartsheet("Chart").add_chart(chart)


def render(reports: Sequence[SpendReport], fmt: str, notes: Sequence[str] = ()) -> bytes:
    """Return the report file's bytes in ``fmt`` (json | csv | xlsx)."""
    fmt = check_format(fmt)
    if fmt == "json":
        return json_bytes(reports)
    if fmt == "csv":
        return csv_bytes(reports)
    return xlsx_bytes(reports, notes)


def write_atomic(path: Path, produce: Callable[[], bytes]) -> Path:
    """Write ``produce()`` to ``path`` via a temp file in its directory; no file on failure."""
    directory = path.parent if str(path.parent) else Path()
    if not directory.is_dir():
        raise InvalidInputError(f"cannot write {path}: the directory does not exist")
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(produce())
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return path
