"""Mapping raw rows onto declared columns and reading each cell into a typed value.

Shared by the contract and invoice imports. The rules, as a user meets them:

* Column names match case-insensitively with surrounding spaces trimmed; inner spaces
  and hyphens count as underscores ("Start Date" is ``start_date``). A column Seatwise
  does not know is an error naming it (silently ignoring it would hide a typo such as
  ``renewl_date``); so is a column given twice or a required column missing.
* Each cell is read as its column's kind by :mod:`app.inventory.import_values`
  (dates, amounts, counts, booleans, currencies, e-mail addresses).

Every problem in every row is collected, so a user fixes the file in one pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from openpyxl.utils import get_column_letter

from app.inventory.import_files import BadCell, Cell, RawTable, RowProblem, normalise_header
from app.inventory.import_values import (
    CellError,
    read_amount,
    read_bool,
    read_count,
    read_currency,
    read_date,
    read_email,
)

CellKind = Literal["text", "date", "money", "signed_money", "count", "bool", "currency", "email"]


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """A column a file may have: its name, how cells are read, and whether it is required.

    ``required`` means the column must be in the header and every row must fill it;
    ``multiline`` text keeps its line breaks (other text is one line of single spaces).
    """

    name: str
    kind: CellKind = "text"
    required: bool = False
    max_length: int | None = None
    choices: tuple[str, ...] = ()
    multiline: bool = False


def map_rows(
    table: RawTable,
    columns: Sequence[ColumnSpec],
    *,
    what: str,
    decimal_comma: bool = False,
) -> tuple[list[tuple[int, dict[str, Any]]], list[RowProblem]]:
    """Read every row into ``{column: value}`` (empty cells are None) and collect problems.

    Returns:
        The rows, each with its spreadsheet row number, and every problem found. When
        the header itself is wrong, no rows are read (their cells cannot be placed).
    """
    specs = {c.name: c for c in columns}
    positions, problems = _map_header(table, columns, what=what)
    if problems:
        return [], problems
    rows: list[tuple[int, dict[str, Any]]] = []
    width = len(table.header)
    for raw in table.rows:
        values: dict[str, Any] = {name: None for name in specs}
        for index, cell in enumerate(raw.cells):
            if (index >= width or table.header[index] == "") and not _blank(cell):
                problems.append(
                    RowProblem(
                        raw.number,
                        get_column_letter(index + 1),
                        f"value {_shown(cell)!r} in a column without a header",
                    )
                )
        for name, index in positions.items():
            spec = specs[name]
            cell = raw.cells[index] if index < len(raw.cells) else None
            if isinstance(cell, BadCell):
                problems.append(RowProblem(raw.number, name, cell.problem))
                continue
            if _blank(cell):
                if spec.required:
                    problems.append(RowProblem(raw.number, name, "a value is required"))
                continue
            try:
                values[name] = read_cell(cell, spec, decimal_comma=decimal_comma)
            except CellError as exc:
                problems.append(RowProblem(raw.number, name, str(exc)))
        rows.append((raw.number, values))
    return rows, problems


def present_columns(table: RawTable, columns: Sequence[ColumnSpec]) -> frozenset[str]:
    """The declared columns the file's header holds."""
    names = {normalise_header(h) for h in table.header if h}
    return frozenset(c.name for c in columns if c.name in names)


def _shown(cell: Cell) -> Cell:
    return cell.problem if isinstance(cell, BadCell) else cell


def _blank(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and cell.strip() == "")


def _map_header(
    table: RawTable, columns: Sequence[ColumnSpec], *, what: str
) -> tuple[dict[str, int], list[RowProblem]]:
    known = [c.name for c in columns]
    header_row = table.header_row
    positions: dict[str, int] = {}
    problems: list[RowProblem] = []
    unknown: list[tuple[int, str]] = []
    for index, raw_name in enumerate(table.header):
        if raw_name == "":
            continue
        name = normalise_header(raw_name)
        if name not in known:
            unknown.append((index, raw_name))
        elif name in positions:
            first, second = get_column_letter(positions[name] + 1), get_column_letter(index + 1)
            problems.append(
                RowProblem(
                    header_row, name, f"the column appears twice (columns {first} and {second})"
                )
            )
        else:
            positions[name] = index
    if not positions:
        kind = "CSV file" if table.source == "csv" else "sheet"
        shown = ", ".join(h for h in table.header[:5] if h) or "(nothing)"
        return positions, [
            RowProblem(
                None,
                None,
                f"not a {kind} of {what}: its first row ({shown}) has none of the {what} "
                f"columns ({', '.join(known)})",
            )
        ]
    expected = ", ".join(known)
    for index, raw_name in unknown:
        problems.append(
            RowProblem(
                header_row,
                raw_name,
                f"unknown column (column {get_column_letter(index + 1)}); expected: {expected}",
            )
        )
    for spec in columns:
        if spec.required and spec.name not in positions:
            problems.append(RowProblem(header_row, spec.name, "required column is missing"))
    return positions, problems


def read_cell(cell: Cell, spec: ColumnSpec, *, decimal_comma: bool = False) -> Any:
    """Read one non-empty cell as the column's kind.

    Raises:
        CellError: The value is not acceptable; the message names what was expected.
    """
    kind = spec.kind
    if kind == "date":
        return read_date(cell)
    if kind in ("money", "signed_money"):
        amount = read_amount(cell, decimal_comma=decimal_comma)
        if kind == "money" and amount < 0:
            raise CellError(f"must not be negative, got {amount}")
        return amount
    if kind == "count":
        return read_count(cell, decimal_comma=decimal_comma)
    if kind == "bool":
        return read_bool(cell)
    if kind == "currency":
        return read_currency(cell)
    if kind == "email":
        return read_email(cell)
    text = _lines(cell) if spec.multiline else _text(cell)
    if spec.choices:
        lowered = text.lower()
        if lowered not in spec.choices:
            raise CellError(f"{text!r} is not one of {', '.join(spec.choices)}")
        return lowered
    if spec.max_length is not None and len(text) > spec.max_length:
        raise CellError(f"longer than {spec.max_length} characters ({len(text)})")
    return text


def _lines(cell: Cell) -> str:
    """Text whose line breaks are kept (a cell's Alt+Enter), each line's spaces tidied."""
    lines = [" ".join(line.split()) for line in str(cell).splitlines()]
    return "\n".join(lines).strip("\n")


def _text(cell: Cell) -> str:
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime | date):
        return cell.isoformat()
    return " ".join(str(cell).split())


def duplicate_problems(
    rows: Sequence[tuple[int, tuple[str, str]]], *, column: str, label: str
) -> list[RowProblem]:
    """Problems for keys repeated inside one file, each naming the row it repeats.

    ``rows`` holds (row number, (vendor, number)); vendors compare case-insensitively
    and ignoring extra spaces (as :func:`app.inventory.service.resolve_vendor` does),
    numbers exactly.
    """
    seen: dict[tuple[str, str], int] = {}
    problems: list[RowProblem] = []
    for number, (vendor, key) in rows:
        ident = (" ".join(vendor.split()).lower(), key)
        if ident in seen:
            problems.append(
                RowProblem(
                    number,
                    column,
                    f"duplicate {label} {key!r} for vendor {vendor!r} (also on row {seen[ident]})",
                )
            )
        else:
            seen[ident] = number
    return problems
