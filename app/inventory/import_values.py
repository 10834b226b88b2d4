"""Reading one cell as a date, amount, whole number, boolean, currency or e-mail.

The rules, as a user meets them:

* Dates are ISO ``YYYY-MM-DD``; in XLSX a real Excel date cell works too. A day-month
  or month-day date (what Excel writes to CSV) is refused, never guessed; the message
  gives its ISO form, or both forms when it reads two ways.
* Amounts are ``1234.56`` or ``1,234.56`` (at most 4 decimals and 15 significant
  digits); with ``decimal_comma`` they are ``1.234,56`` or ``1234,56``. A negative
  amount may also be written as accounting formats and SAP show it: ``(1,234.56)`` or
  ``1,234.56-``. Spaces, including the non-breaking ones French and Swiss Excel group
  digits with, are ignored. The other separator is only read as a thousands separator
  between groups of three digits, so ``1,5`` without ``decimal_comma`` is refused rather
  than read as 15. XLSX number cells are read as numbers either way, at Excel's 15
  significant digits (a calculated ``0.1+0.2`` is saved as ``0.30000000000000004`` but
  is 0.3 to whoever looks at the sheet).
* Booleans are yes/no/true/false/1/0 (any case); whole numbers may group thousands
  like amounts (``1,200``; ``1.200`` with ``decimal_comma``) and end in zero decimals
  (``50.0``), nothing else after the decimal separator.
* Currencies are ISO 4217 codes (checked against ``pycountry``'s list), other than
  the codes for no currency, testing, metals and bond units (``XXX``, ``XTS``,
  ``XAU``); e-mail addresses are checked with ``email-validator`` (syntax only, no DNS)
  and stored lower-case.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import pycountry

from app.core.days import check_day
from app.core.db import MAX_MONEY, MONEY_SCALE, inexact
from app.core.emails import normalised_address
from app.inventory.import_files import Cell

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_LOCAL_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_PLAIN_AMOUNT = re.compile(r"^[+-]?([1-9]\d{0,2}(,\d{3})+|\d+)(\.\d+)?$")
_COMMA_AMOUNT = re.compile(r"^[+-]?([1-9]\d{0,2}(\.\d{3})+|\d+)(,\d+)?$")
_ACCOUNTING_NEGATIVE = re.compile(r"^(?:\((\d[\d.,]*)\)|(\d[\d.,]*)-)$")
# ISO 4217 codes that are no currency: "no currency", testing, precious metals, and
# European bond-market units. A contract or invoice in one is a slip, not a price.
_NOT_MONEY = frozenset({"XXX", "XTS", "XAU", "XAG", "XPD", "XPT", "XBA", "XBB", "XBC", "XBD"})
_WHOLE = re.compile(r"^[+-]?\d+$")
_GROUPED_COMMA = re.compile(r"^[+-]?[1-9]\d{0,2}(,\d{3})+$")
_GROUPED_DOT = re.compile(r"^[+-]?[1-9]\d{0,2}(\.\d{3})+$")
_TRUE = {"yes", "true", "1"}
_FALSE = {"no", "false", "0"}


class CellError(ValueError):
    """A cell's value cannot be read; the message says what was expected."""


def read_date(cell: Cell) -> date:
    """An ISO date string, or an XLSX date cell."""
    if isinstance(cell, datetime):
        return _bounded(cell.date())
    if isinstance(cell, date):
        return _bounded(cell)
    if isinstance(cell, bool | int | float):
        raise CellError(
            f"expected a date, got the number {cell!r}; format the cell as a date or "
            "write YYYY-MM-DD"
        )
    text = str(cell).strip()
    if not _ISO_DATE.match(text):
        raise CellError(_not_iso(text))
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise CellError(f"{text!r} is not a real date ({exc})") from exc
    return _bounded(day)


def _not_iso(text: str) -> str:
    """Why a text date is refused; for 31/01/2026-style dates, what it would be in ISO.

    Excel writes date cells to CSV as the computer's regional settings show them, so a
    day-month or month-day date is never guessed: one that can only be read one way is
    shown in ISO to copy, one that can be read both ways names both readings.
    """
    generic = f"{text!r} is not a date; write it as YYYY-MM-DD (e.g. 2026-12-31)"
    match = _LOCAL_DATE.match(text)
    if match is None:
        return generic
    first, second, year = (int(part) for part in match.groups())
    readings = []
    for day, month in {(first, second), (second, first)}:
        try:
            readings.append(date(year, month, day).isoformat())
        except ValueError:
            continue
    where = "or save the file as XLSX with real date cells"
    if len(readings) == 1:
        return f"{text!r} is not an ISO date; write it as {readings[0]} (YYYY-MM-DD), {where}"
    if len(readings) == 2:
        one, other = sorted(readings)
        return f"{text!r} could be {one} or {other}; write it as YYYY-MM-DD, {where}"
    return generic


def _bounded(day: date) -> date:
    """The day, when its year is one every rule can reckon from (:mod:`app.core.days`)."""
    try:
        return check_day(day)
    except ValueError as exc:
        raise CellError(str(exc)) from None


def read_amount(cell: Cell, *, decimal_comma: bool = False) -> Decimal:
    """An exact amount: ``1234.56``, or ``1.234,56`` with ``decimal_comma``."""
    if isinstance(cell, bool):
        raise CellError(f"expected an amount, got {cell!r}")
    if isinstance(cell, int):
        amount = Decimal(cell)
    elif isinstance(cell, float):
        amount = _excel_number(cell)
    elif isinstance(cell, str):
        text = _accounting_sign("".join(cell.split()))
        if decimal_comma:
            if not _COMMA_AMOUNT.match(text):
                raise CellError(
                    f"{cell!r} is not an amount; with --decimal-comma write 1234,56 or 1.234,56"
                )
            text = text.replace(".", "").replace(",", ".")
        elif _PLAIN_AMOUNT.match(text):
            text = text.replace(",", "")
        else:
            raise CellError(
                f"{cell!r} is not an amount; write 1234.56 or 1,234.56 (no currency "
                "signs; use --decimal-comma for 1.234,56)"
            )
        try:
            amount = Decimal(text)
        except InvalidOperation as exc:  # pragma: no cover - the patterns prevent it
            raise CellError(f"{cell!r} is not an amount") from exc
    else:
        raise CellError(f"expected an amount, got {cell!r}")
    if not amount.is_finite():
        raise CellError(f"expected an amount, got {cell!r}")
    if abs(amount) >= MAX_MONEY:
        raise CellError(f"{cell!r} is too large")
    if (problem := inexact(amount, scale=MONEY_SCALE)) is not None:
        raise CellError(f"{cell!r} {problem}")
    return amount


def _accounting_sign(text: str) -> str:
    """``(1,234.50)`` and ``1,234.50-`` (accounting formats, SAP exports) as ``-1,234.50``."""
    match = _ACCOUNTING_NEGATIVE.match(text)
    if match is None:
        return text
    return "-" + (match.group(1) or match.group(2))


def _excel_number(value: float) -> Decimal:
    """A spreadsheet number as the sheet shows it: Excel keeps 15 significant digits."""
    return Decimal(format(value, ".15g"))


def read_count(cell: Cell, *, decimal_comma: bool = False) -> int:
    """A whole number that is not negative (seats, notice days): ``1200`` or ``1,200``.

    Thousands are grouped with the separator that is not the decimal one (``1.200``
    with ``decimal_comma``), as Excel writes a ``#,##0`` cell to CSV; zero decimals
    (``50.0``, ``1,200.00``) are allowed, as pandas and Google Sheets write them.
    """
    if isinstance(cell, bool):
        raise CellError(f"expected a whole number, got {cell!r}")
    if isinstance(cell, float):
        number = _excel_number(cell)
        if number != number.to_integral_value():
            raise CellError(f"expected a whole number, got {cell!r}")
        value = int(number)
    elif isinstance(cell, int):
        value = cell
    else:
        text = str(cell).strip()
        digits = "".join(text.split())
        # "50.0" / "50,00": a whole number written with decimals (pandas, Google Sheets).
        digits = re.sub(r",0+$" if decimal_comma else r"\.0+$", "", digits)
        grouped = _GROUPED_DOT if decimal_comma else _GROUPED_COMMA
        if grouped.match(digits):
            digits = digits.replace("." if decimal_comma else ",", "")
        if not _WHOLE.match(digits):
            raise CellError(f"expected a whole number, got {text!r}")
        value = int(digits)
    if value < 0:
        raise CellError(f"must not be negative, got {value}")
    if value > 2_000_000_000:
        raise CellError(f"{value} is too large")
    return value


def read_bool(cell: Cell) -> bool:
    """yes/no/true/false/1/0 in any case, or an XLSX boolean."""
    if isinstance(cell, bool):
        return cell
    if isinstance(cell, int | float) and cell in (0, 1):
        return bool(cell)
    text = str(cell).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError(f"{cell!r} is not yes/no/true/false/1/0")


def read_currency(cell: Cell) -> str:
    """An ISO 4217 currency code, upper-cased."""
    code = str(cell).strip().upper()
    known = pycountry.currencies.get(alpha_3=code) if len(code) == 3 else None
    if not code.isalpha() or known is None:
        raise CellError(
            f"unknown currency code {str(cell).strip()!r}; use ISO 4217 (EUR, USD, GBP)"
        )
    if code in _NOT_MONEY:
        raise CellError(
            f"{code} is an ISO 4217 code but not money a contract is paid in ({known.name}); "
            "use a currency such as EUR, USD or GBP"
        )
    return code


def read_email(cell: Cell) -> str:
    """A syntactically valid e-mail address, lower-cased (no DNS lookup)."""
    try:
        return normalised_address(str(cell))
    except ValueError as exc:
        raise CellError(str(exc)) from exc
