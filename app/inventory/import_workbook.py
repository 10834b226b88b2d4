"""Reading an XLSX workbook's one sheet into raw rows (see :mod:`app.inventory.import_files`).

Before openpyxl parses anything, the workbook's size and the width of its rows are
checked against the import's bounds. Cells keep their types; a formula gives the result
saved with it, and a cell showing an error or a formula saved without its result
becomes a :class:`~app.inventory.import_files.BadCell`.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Collection, Iterator
from datetime import date, datetime
from itertools import zip_longest
from typing import IO, Any

from app.inventory import import_files as files
from app.inventory.import_files import (
    BadCell,
    Cell,
    ImportRefused,
    RawTable,
    RowProblem,
    check_size,
    is_empty,
    raw_table,
)

_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_NO_RESULT = (
    "the cell holds the formula {formula} but no saved result (the file was written "
    "without calculating it); open it in Excel or LibreOffice, save it, and import again"
)

_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)[\s/>]")
"""A row's or a cell's start tag in a sheet's XML (text cannot hold ``<``: it is escaped)."""
_CHUNK = 1024 * 1024


def _check_workbook_size(data: bytes, what: str) -> None:
    """Refuse a workbook that unzips to more than an import reads, or has a row of more
    cells than ``MAX_COLUMNS``, before openpyxl parses it: openpyxl holds a whole row
    in memory at once (a few hundred bytes a cell), and a row of millions of empty cells
    zips to a few KB.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        unzipped = sum(info.file_size for info in archive.infolist())
        if unzipped > files.MAX_XLSX_UNZIPPED_BYTES:
            limit = files.MAX_XLSX_UNZIPPED_BYTES // (1024 * 1024)
            raise ImportRefused(
                what,
                [RowProblem(None, None, f"the workbook unzips to more than {limit} MB; split it")],
            )
        # Every part: the workbook's relationships may put its sheet under any name.
        for info in archive.infolist():
            with archive.open(info) as part:
                _check_row_widths(part, what)


def _check_row_widths(sheet: IO[bytes], what: str) -> None:
    """Refuse a sheet with a row holding more than ``MAX_COLUMNS`` cells."""
    cells, rows, tail = 0, 0, b""
    while chunk := sheet.read(_CHUNK):
        text = tail + chunk
        # A tag cut at the chunk's end is matched in the next one, whole.
        cut = text.rfind(b"<")
        text, tail = (text[:cut], text[cut:]) if cut >= 0 else (text, b"")
        for match in _TAG.finditer(text):
            if match.group(1) == b"row":
                rows, cells = rows + 1, 0
                continue
            cells += 1
            if cells > files.MAX_COLUMNS:
                raise ImportRefused(
                    what,
                    [
                        RowProblem(
                            None,
                            None,
                            f"row {rows or 1} has more than {files.MAX_COLUMNS} cells; delete the "
                            "unused columns",
                        )
                    ],
                )


def read_workbook(data: bytes, *, what: str, columns: Collection[str]) -> RawTable:
    """The workbook's one sheet; a damaged workbook is refused, naming what failed.

    openpyxl reads a sheet's XML lazily, so damage inside the zip (a sheet that is not
    XML, say) surfaces anywhere while reading, as whatever its parser raises.
    """
    try:
        return _xlsx_table(data, what=what, columns=columns)
    except ImportRefused:
        raise
    except Exception as exc:
        detail = (str(exc).strip().splitlines() or [""])[0]
        raise ImportRefused(
            what,
            [RowProblem(None, None, f"not an XLSX workbook: {exc.__class__.__name__}: {detail}")],
        ) from exc


def _has_formulas(data: bytes) -> bool:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return any(
            _FORMULA.search(archive.read(name))
            for name in archive.namelist()
            if name.startswith("xl/worksheets/") and name.endswith(".xml")
        )


def _xlsx_table(data: bytes, *, what: str, columns: Collection[str]) -> RawTable:
    from openpyxl import load_workbook

    _check_workbook_size(data, what)
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    formulas = None
    try:
        # A second view of the sheet gives each cell's formula, to tell a formula saved
        # without its result from an empty cell (both read as None above).
        if _has_formulas(data):
            formulas = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
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
        # The sheet's own claim of its size is not trusted: openpyxl pads every row to it.
        sheet.reset_dimensions()
        # One column past the limit is read, so a row that uses it is refused.
        width = files.MAX_COLUMNS + 1
        formula_rows: Iterator[tuple[Any, ...]] = iter(())
        if formulas is not None:
            formula_sheet = formulas[formulas.sheetnames[0]]
            formula_sheet.reset_dimensions()
            formula_rows = formula_sheet.iter_rows(values_only=True, max_col=width)
        numbered: list[tuple[int, list[Cell]]] = []
        for i, (row, formula_row) in enumerate(
            zip_longest(sheet.iter_rows(max_col=width), formula_rows, fillvalue=()), start=1
        ):
            cells = [
                _xlsx_cell(c.value, getattr(c, "data_type", None), f)
                for c, f in zip_longest(row, formula_row or ())
                if c is not None
            ]
            while cells and is_empty(cells[-1]):
                cells.pop()
            check_size(i, len(cells), what)
            numbered.append((i, cells))
    finally:
        workbook.close()
        if formulas is not None:
            formulas.close()
    return raw_table(numbered, what=what, source="xlsx", columns=columns)


def _xlsx_cell(value: Any, data_type: str | None, formula: Any) -> Cell:
    if data_type == "e":
        return BadCell(
            f"the cell shows the error {value}; correct it in the sheet and import again"
        )
    unsaved = isinstance(formula, str) and formula.startswith("=")
    if value is None and data_type != "str" and unsaved:
        return BadCell(_NO_RESULT.format(formula=formula))
    if isinstance(value, str):
        return value.strip()
    if value is None or isinstance(value, int | float | bool | date | datetime):
        return value
    return str(value)
