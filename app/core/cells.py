"""Spreadsheet cells that never run: text from the inventory is data, not a formula.

A department, application or person name comes from a vendor or an import file. Written
as is, ``=HYPERLINK("http://…")`` in a CSV cell becomes a live formula when Excel or
LibreOffice opens the file (CSV injection), and openpyxl writes any string starting with
``=`` as a formula. Every export goes through these two helpers.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters a spreadsheet may read as the start of a formula (OWASP's list)."""


def csv_text(value: object) -> str:
    """A CSV text cell: a leading ``'`` makes a formula-like text display as written."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def xlsx_text(cell: Any) -> Any:
    """Keep an openpyxl cell holding text a string even when it starts with ``=``.

    XLSX types each cell, so the text keeps its exact value (no ``'`` added); Excel shows
    it and never evaluates it.
    """
    if isinstance(cell.value, str) and cell.data_type == "f":
        cell.data_type = "s"
    return cell
