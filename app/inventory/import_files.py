"""Reading an uploaded CSV or XLSX file into a header and raw rows, refusing what is not one.

The format comes from the bytes, not the file name (uploads often have none): a ZIP
signature means an XLSX workbook, anything else must be text. Rules a spreadsheet user
can rely on:

* Rows are numbered as the spreadsheet shows them: the header is row 1 (or the first
  non-empty row), the first data row is row 2; empty rows are skipped but still counted.
* CSV text is UTF-8 (a BOM is fine); text that is not UTF-8 but has no NUL byte is read
  as Windows-1252, which is what Excel's "CSV" export writes on Windows. The delimiter is
  whichever of ``,`` ``;`` or a tab the header line holds most of (Excel writes ``;``
  where the decimal separator is a comma).
* An XLSX workbook must hold exactly one sheet: with several, which one is meant is a
  guess, so the workbook is refused naming its sheets. Cells keep their types: real
  Excel dates arrive as ``datetime``, numbers as ``int``/``float``.
* Nothing here knows about contracts or invoices; :mod:`app.inventory.import_cells`
  maps the raw rows onto columns.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from app.core.errors import InvalidInputError

Cell = str | int | float | bool | date | datetime | None

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls (and .doc)
_DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True, slots=True)
class RowProblem:
    """One reason a file is refused, located the way a spreadsheet user finds it."""

    row: int | None
    column: str | None
    problem: str

    def __str__(self) -> str:
        if self.row is not None and self.column is not None:
            return f"row {self.row}, column {self.column}: {self.problem}"
        if self.row is not None:
            return f"row {self.row}: {self.problem}"
        return self.problem

    def as_dict(self) -> dict[str, Any]:
        """The problem as the API's ``errors`` list item."""
        return {"row": self.row, "column": self.column, "problem": self.problem}


class ImportRefused(InvalidInputError):
    """A file was refused; nothing was written. Carries every problem found, not the first."""

    def __init__(self, what: str, problems: list[RowProblem]) -> None:
        self.problems = problems
        count = len(problems)
        self.summary = (
            f"{what} file refused, nothing imported "
            f"({count} problem{'s' if count != 1 else ''} listed above)"
        )
        first = f": {problems[0]}" if count == 1 else f" ({count} problems)"
        super().__init__(f"{what} file refused, nothing imported{first}")


@dataclass(frozen=True, slots=True)
class RawRow:
    """One non-empty data row: its spreadsheet row number and its cells in header order."""

    number: int
    cells: tuple[Cell, ...]


@dataclass(frozen=True, slots=True)
class RawTable:
    """A file's header (row ``header_row``) and its non-empty data rows."""

    header: tuple[str, ...]
    rows: list[RawRow]
    header_row: int = 1
    source: str = "csv"  # "csv" | "xlsx"


@dataclass
class ImportResult:
    """What an import did: rows created, updated and left unchanged, and warnings."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The counts and warnings as JSON-ready data."""
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "warnings": list(self.warnings),
        }


def read_table(data: bytes, *, what: str) -> RawTable:
    """Read CSV or XLSX bytes into a header and rows, refusing files that are neither.

    ``what`` names the kind of file ("contracts") in messages.
    """
    if not data.strip():
        raise ImportRefused(what, [RowProblem(None, None, "the file is empty")])
    if data.startswith(_ZIP_MAGIC):
        return _read_xlsx(data, what=what)
    if data.startswith(_OLE_MAGIC):
        raise ImportRefused(
            what,
            [
                RowProblem(
                    None,
                    None,
                    "this is a legacy Excel .xls file; save it as .xlsx or CSV and import again",
                )
            ],
        )
    return _read_csv(data, what=what)


def _not_csv(what: str, why: str) -> ImportRefused:
    return ImportRefused(what, [RowProblem(None, None, f"not a CSV file: {why}")])


def _decode(data: bytes, what: str) -> str:
    if b"\x00" in data:
        raise _not_csv(what, "it holds binary data (NUL bytes); upload a CSV or XLSX file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise _not_csv(what, "it is neither UTF-8 nor Windows-1252 text") from exc


def _read_csv(data: bytes, *, what: str) -> RawTable:
    text = _decode(data, what)
    control = sum(1 for ch in text[:4096] if ord(ch) < 32 and ch not in "\r\n\t")
    if control:
        raise _not_csv(what, "it holds control characters, so it is not text")
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(_DELIMITERS, key=first_line.count)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise _not_csv(what, f"the CSV reader failed ({exc})") from exc
    numbered: list[tuple[int, list[Cell]]] = [
        (i, [c.strip() for c in rec]) for i, rec in enumerate(records, start=1)
    ]
    return _table(numbered, what=what, source="csv")


def _read_xlsx(data: bytes, *, what: str) -> RawTable:
    """The workbook's one sheet; a damaged workbook is refused, naming what failed.

    openpyxl reads a sheet's XML lazily, so damage inside the zip (a sheet that is not
    XML, say) surfaces anywhere while reading, as whatever its parser raises.
    """
    try:
        return _xlsx_table(data, what=what)
    except ImportRefused:
        raise
    except Exception as exc:
        detail = (str(exc).strip().splitlines() or [""])[0]
        raise ImportRefused(
            what,
            [RowProblem(None, None, f"not an XLSX workbook: {exc.__class__.__name__}: {detail}")],
        ) from exc


def _xlsx_table(data: bytes, *, what: str) -> RawTable:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        names = list(workbook.sheetnames)
        if len(names) != 1:
            listed = ", ".join(repr(n) for n in names)
            raise ImportRefused(
                what,
                [
                    RowProblem(
                        None,
                        None,
                        f"the workbook has {len(names)} sheets ({listed}); Seatwise reads "
                        "exactly one, so delete the others (or save the sheet as CSV)",
                    )
                ],
            )
        sheet = workbook[names[0]]
        numbered: list[tuple[int, list[Cell]]] = []
        for i, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            numbered.append((i, [_xlsx_cell(v) for v in values]))
    finally:
        workbook.close()
    return _table(numbered, what=what, source="xlsx")


def _xlsx_cell(value: Any) -> Cell:
    if isinstance(value, str):
        return value.strip()
    if value is None or isinstance(value, int | float | bool | date | datetime):
        return value
    return str(value)


def _empty(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and cell == "")


def _table(numbered: list[tuple[int, list[Cell]]], *, what: str, source: str) -> RawTable:
    non_empty = [(n, cells) for n, cells in numbered if not all(_empty(c) for c in cells)]
    if not non_empty:
        raise ImportRefused(what, [RowProblem(None, None, "the file has no header row")])
    header_row, header_cells = non_empty[0]
    header = tuple("" if _empty(c) else str(c).strip() for c in header_cells)
    width = len(header)
    rows: list[RawRow] = []
    for number, cells in non_empty[1:]:
        padded = tuple(cells[:width]) + (None,) * max(0, width - len(cells))
        extra = [c for c in cells[width:] if not _empty(c)]
        if extra:
            # Keep the overflow so the column mapper can report it.
            padded = padded + tuple(cells[width:])
        rows.append(RawRow(number=number, cells=padded))
    return RawTable(header=header, rows=rows, header_row=header_row, source=source)
