"""Reading an uploaded CSV or XLSX file into a header and raw rows, refusing what is not one.

The format comes from the bytes, not the file name (uploads often have none): a ZIP
signature means an XLSX workbook, anything else must be text. Rules a spreadsheet user
can rely on:

* Rows are numbered as the spreadsheet shows them: the header is the first non-empty
  row naming at least two of the file's columns (a title and blank lines above the
  table are skipped, up to :data:`_TITLE_ROWS` rows), or else the first non-empty row;
  empty rows are skipped but still counted.
* CSV text is UTF-8 (a BOM is fine), or UTF-16 with its BOM (Excel's "Unicode Text",
  tab-separated); text that is not UTF-8 but has no NUL byte is read as Windows-1252,
  which is what Excel's "CSV" export writes on Windows. The delimiter is whichever of
  ``,`` ``;`` or a tab splits a header naming the file's columns (Excel writes ``;``
  where the decimal separator is a comma), else the one the first line holding any of
  them holds most of.
* An XLSX workbook must hold exactly one sheet: with several, which one is meant is a
  guess, so the workbook is refused naming its sheets. Cells keep their types: real
  Excel dates arrive as ``datetime``, numbers as ``int``/``float``; a formula gives the
  result Excel saved with it. A cell showing an error (``#REF!``) or a formula saved
  without its result (files written by scripts) arrives as a :class:`BadCell`, so it is
  refused rather than read as empty.
* A file is read within bounds, whatever it claims: at most :data:`MAX_ROWS` rows and
  :data:`MAX_COLUMNS` columns (more is refused, asking to split the file), and a
  workbook whose parts unzip to more than :data:`MAX_XLSX_UNZIPPED_BYTES` is refused
  before it is parsed. A 100 KB workbook claiming the sheet ``A1:XFD1048576`` made
  openpyxl pad every row to 16,384 cells, and a few KB of zipped rows unzip to gigabytes:
  either took the server's memory.
* Nothing here knows about contracts or invoices; :mod:`app.inventory.import_cells`
  maps the raw rows onto columns. Workbooks are read by
  :mod:`app.inventory.import_workbook`, which builds on the types and checks here.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from app.core.errors import InvalidInputError


@dataclass(frozen=True, slots=True)
class BadCell:
    """A spreadsheet cell whose value cannot be used, and what to do about it."""

    problem: str


Cell = str | int | float | bool | date | datetime | BadCell | None

_ZIP_MAGIC = b"PK\x03\x04"
# An OpenDocument file is a zip whose first member, stored uncompressed, is "mimetype".
_ODF_MIMETYPE = b"mimetypeapplication/vnd.oasis.opendocument"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls (and .doc)
_DELIMITERS = (",", ";", "\t")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_TITLE_ROWS = 10  # non-empty rows above the header that may hold a title
MAX_ROWS = 200_000
"""The most rows (empty ones included) a file may have: far more contracts or invoices
than an import holds, far fewer than would fill the server's memory."""
MAX_COLUMNS = 200
"""The most columns a row may use (a contracts file has 19)."""
MAX_XLSX_UNZIPPED_BYTES = 200 * 1024 * 1024
"""The most a workbook's parts may hold unzipped (a zip bomb holds far more)."""


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


def normalise_header(name: str) -> str:
    """``" Start Date "`` → ``"start_date"``."""
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def read_table(data: bytes, *, what: str, columns: Collection[str] = ()) -> RawTable:
    """Read CSV or XLSX bytes into a header and rows, refusing files that are neither.

    ``what`` names the kind of file ("contracts") in messages; ``columns`` are the
    (normalised) column names the file may have, which find the header below a title.
    """
    if not data.strip():
        raise ImportRefused(what, [RowProblem(None, None, "the file is empty")])
    if data.startswith(_ZIP_MAGIC):
        if _ODF_MIMETYPE in data[:100]:
            raise ImportRefused(
                what,
                [
                    RowProblem(
                        None,
                        None,
                        "this is an OpenDocument spreadsheet (.ods); save it as .xlsx or "
                        "CSV and import again",
                    )
                ],
            )
        from app.inventory.import_workbook import read_workbook  # it builds on this module

        return read_workbook(data, what=what, columns=columns)
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
    return _read_csv(data, what=what, columns=columns)


def _not_csv(what: str, why: str) -> ImportRefused:
    return ImportRefused(what, [RowProblem(None, None, f"not a CSV file: {why}")])


def _decode(data: bytes, what: str) -> str:
    if data.startswith(_UTF16_BOMS):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise _not_csv(what, "it starts like UTF-16 text but is not") from exc
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


def _delimiter(text: str, columns: Collection[str]) -> str:
    """The delimiter that splits a header naming most columns; else the first line's.

    Trying each delimiter on the first lines finds a ``;`` header below a title that
    holds a comma ("Contracts - Müller, Schmidt & Co").
    """
    lines = [line for line in text.splitlines() if line.strip()][: _TITLE_ROWS + 1]

    def named(delimiter: str) -> int:
        cells = (cell for line in lines for cell in line.split(delimiter)[:1000])
        found = {normalise_header(c.strip().strip('"')) for c in cells}
        return len(found.intersection(columns))

    best = max(_DELIMITERS, key=named)
    if named(best) >= 2:
        return best
    first_line = next((line for line in lines if any(d in line for d in _DELIMITERS)), "")
    return max(_DELIMITERS, key=first_line.count)


def _read_csv(data: bytes, *, what: str, columns: Collection[str]) -> RawTable:
    text = _decode(data, what)
    control = sum(1 for ch in text[:4096] if ord(ch) < 32 and ch not in "\r\n\t")
    if control:
        raise _not_csv(what, "it holds control characters, so it is not text")
    delimiter = _delimiter(text, columns)
    numbered: list[tuple[int, list[Cell]]] = []
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        for i, rec in enumerate(reader, start=1):
            check_size(i, len(rec), what)
            numbered.append((i, [c.strip() for c in rec]))
    except csv.Error as exc:
        raise _not_csv(what, f"the CSV reader failed ({exc})") from exc
    return raw_table(numbered, what=what, source="csv", columns=columns)


def check_size(row: int, cells: int, what: str) -> None:
    """Refuse a file once it has more rows or columns than an import reads."""
    if row > MAX_ROWS:
        raise ImportRefused(
            what, [RowProblem(None, None, f"the file has more than {MAX_ROWS:,} rows; split it")]
        )
    if cells > MAX_COLUMNS:
        raise ImportRefused(
            what,
            [RowProblem(row, None, f"more than {MAX_COLUMNS} columns; delete the unused ones")],
        )


def is_empty(cell: Cell) -> bool:
    """Whether a cell holds nothing (no value, or empty text)."""
    return cell is None or (isinstance(cell, str) and cell == "")


def _header_index(rows: list[tuple[int, list[Cell]]], columns: Collection[str]) -> int:
    """Which of the first non-empty rows is the header: the first naming two columns."""
    for index, (_, cells) in enumerate(rows[: _TITLE_ROWS + 1]):
        names = {normalise_header(c) for c in cells if isinstance(c, str) and c}
        if len(names.intersection(columns)) >= 2:
            return index
    return 0


def raw_table(
    numbered: list[tuple[int, list[Cell]]],
    *,
    what: str,
    source: str,
    columns: Collection[str] = (),
) -> RawTable:
    """The header (found below any title) and the non-empty rows of a file's rows."""
    non_empty = [(n, cells) for n, cells in numbered if not all(is_empty(c) for c in cells)]
    if not non_empty:
        raise ImportRefused(what, [RowProblem(None, None, "the file has no header row")])
    non_empty = non_empty[_header_index(non_empty, columns) :]
    header_row, header_cells = non_empty[0]
    header = tuple(
        "" if is_empty(c) or isinstance(c, BadCell) else str(c).strip() for c in header_cells
    )
    width = len(header)
    rows: list[RawRow] = []
    for number, cells in non_empty[1:]:
        padded = tuple(cells[:width]) + (None,) * max(0, width - len(cells))
        extra = [c for c in cells[width:] if not is_empty(c)]
        if extra:
            # Keep the overflow so the column mapper can report it.
            padded = padded + tuple(cells[width:])
        rows.append(RawRow(number=number, cells=padded))
    return RawTable(header=header, rows=rows, header_row=header_row, source=source)
