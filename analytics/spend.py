"""Spend maths: calendar months, whole-cent splits, contract terms, budget overruns.

Money here is whole cents (Python ``int`` or ``int64``): a contract's term cost or an
invoice amount is rounded half-up to the cent once, then every split of it (over the
months of a term, over departments) is made in whole cents with the **largest-remainder
method**, so the parts always add up to the whole exactly:

1. each part gets the floor of its exact share (``total * weight / sum(weights)``);
2. the cents left over go one each to the parts with the largest fractional remainders;
3. ties are broken by a stable order given by the caller (months: earliest first;
   departments, cost centres, people: by name).

A negative total (a credit note) is split as its absolute value and negated.

**Term months.** A contract running ``start..end`` (inclusive) covers the months that
begin on a monthly anniversary of ``start`` on or before ``end``; each such month is
charged to the calendar month it begins in. A contract starting on the 1st therefore
covers its calendar months ``start..end`` inclusive (a partial last month counts as a
whole one); a contract from 2026-01-15 to 2027-01-14 covers 12 months, January to
December 2026. An anniversary on a day its month lacks (the 29th to 31st) falls on the
first of the next month, not on the month's last day: a year from 2028-02-29 runs to
2029-02-28 and covers 12 months, a month from 2027-03-31 runs to 2027-04-30.

Months are integers (``year * 12 + month - 1``) so ranges are plain ``range`` objects.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from analytics.model import Finding, Severity

__all__ = [
    "BUDGET_STATUS_COLUMNS",
    "add_months",
    "allocate_cents",
    "find_budget_overruns",
    "month_end",
    "month_index",
    "month_label",
    "parse_month",
    "split_evenly",
    "term_months",
    "to_cents",
]

CENT: Final = Decimal("0.01")
_MONTH_RE: Final = re.compile(r"^(\d{4})-(\d{2})$")
#: int64 products above this would overflow; the allocation falls back to Python ints.
_INT64_SAFE: Final = 2**62

#: Columns of the frame ``find_budget_overruns`` takes (money as Decimal, in ``currency``).
BUDGET_STATUS_COLUMNS: Final = (
    "scope",  # department | cost_centre
    "name",
    "year",
    "budget",
    "actual",
    "forecast",
    "currency",
)


def month_index(day: date) -> int:
    """Return the month of a date as an integer (``year * 12 + month - 1``)."""
    return day.year * 12 + day.month - 1


def month_label(index: int) -> str:
    """Return ``YYYY-MM`` for a month index."""
    year, month0 = divmod(index, 12)
    return f"{year:04d}-{month0 + 1:02d}"


FIRST_YEAR, LAST_YEAR = 1900, 2999
"""Months reports accept: far enough for any contract, and periods around them (a year
before, months ahead) stay within the dates Python can hold."""


def parse_month(text: str) -> int:
    """Return the month index of a ``YYYY-MM`` text.

    Raises:
        ValueError: The text is not ``YYYY-MM`` with a month 01..12.
    """
    match = _MONTH_RE.match(text.strip())
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"expected a month as YYYY-MM (e.g. 2026-01), got {text!r}")
    if not FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR:
        raise ValueError(f"expected a year from {FIRST_YEAR} to {LAST_YEAR}, got {text!r}")
    return int(match.group(1)) * 12 + int(match.group(2)) - 1


def month_end(index: int) -> date:
    """Return the last day of a month index."""
    year, month0 = divmod(index, 12)
    return date(year, month0 + 1, calendar.monthrange(year, month0 + 1)[1])


def add_months(day: date, months: int) -> date:
    """Return ``day`` moved by whole months, the day clamped to the month's length."""
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


def term_months(start: date, end: date) -> int:
    """Return how many months a contract term ``start..end`` (inclusive) covers.

    Args:
        start: First day of the term.
        end: Last day of the term.

    Returns:
        The count of monthly anniversaries of ``start`` on or before ``end`` (0 when
        ``end`` is before ``start``); the months are ``month_index(start)`` onwards.
    """
    if end < start:
        return 0
    k = month_index(end) - month_index(start)
    if _anniversary(start, k) > end:
        k -= 1
    return k + 1


def _anniversary(start: date, months: int) -> date:
    """Return the day a term from ``start`` reaches ``months`` months.

    A day the month lacks moves to the next month's first day: 2028-02-29 reaches 12
    months on 2029-03-01, so a term ending 2029-02-28 has not begun a 13th month (the
    clamped 2029-02-28 would count one).
    """
    moved = add_months(start, months)
    return moved + timedelta(days=1) if moved.day < start.day else moved


def to_cents(amount: Any) -> int:
    """Return an amount in whole cents, rounded half-up (``10.005`` → ``1001``)."""
    value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    return int((value / CENT).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def split_evenly(total_cents: int, parts: int) -> list[int]:
    """Split cents into ``parts`` equal shares; the leftover cents go to the first shares.

    Every share's exact value is the same, so the largest-remainder tie-break (the
    stable order: first parts first) decides: ``split_evenly(1000, 3) == [334, 333, 333]``.
    """
    if parts <= 0:
        raise ValueError(f"cannot split into {parts} parts")
    sign = -1 if total_cents < 0 else 1
    base, extra = divmod(abs(total_cents), parts)
    return [sign * (base + (1 if i < extra else 0)) for i in range(parts)]


def allocate_cents(
    amounts: npt.NDArray[np.int64],
    group: npt.NDArray[np.int64],
    weights: npt.NDArray[np.int64],
    order: npt.NDArray[np.int64],
) -> npt.NDArray[np.int64]:
    """Split many amounts over weighted parts by the largest-remainder method.

    Args:
        amounts: Cents to split, one per group (group ``g`` is ``amounts[g]``).
        group: For each part, the index of the amount it shares in.
        weights: For each part, its positive weight (e.g. seats held).
        order: For each part, its tie-break rank (smaller wins a leftover cent first).

    Returns:
        Cents per part; the parts of every group sum exactly to its amount.

    Raises:
        ValueError: A group with parts has a total weight of 0, or a weight is negative.
    """
    n_groups = len(amounts)
    if len(group) == 0:
        return np.zeros(0, dtype=np.int64)
    if int(weights.min()) < 0:
        raise ValueError("allocation weights must not be negative")
    total_w = np.bincount(group, weights=weights, minlength=n_groups).astype(np.int64)
    if bool((total_w[group] <= 0).any()):
        raise ValueError("an allocation group has no weight")
    signs = np.where(amounts < 0, -1, 1).astype(np.int64)
    absolute = np.abs(amounts).astype(np.int64)
    part_amount = absolute[group]
    if int(part_amount.max(initial=0)) * int(weights.max(initial=0)) < _INT64_SAFE:
        numerator = part_amount * weights
        base = numerator // total_w[group]
        remainder = numerator % total_w[group]
    else:  # exact, slow path for very large amounts
        numerator_o = part_amount.astype(object) * weights.astype(object)
        base = np.array(numerator_o // total_w[group].astype(object), dtype=np.int64)
        remainder_o = numerator_o % total_w[group].astype(object)
        # Only the ranking of remainders within a group matters: compare as fractions.
        remainder = np.array(
            [int(r * 10**9 // w) for r, w in zip(remainder_o, total_w[group], strict=True)],
            dtype=np.int64,
        )
    leftover = absolute - np.bincount(group, weights=base, minlength=n_groups).astype(np.int64)
    sequence = np.lexsort((order, -remainder, group))
    sorted_groups = group[sequence]
    first = np.searchsorted(sorted_groups, sorted_groups, side="left")
    rank = np.arange(len(sequence)) - first
    extra = np.zeros(len(group), dtype=np.int64)
    extra[sequence] = (rank < leftover[sorted_groups]).astype(np.int64)
    result: npt.NDArray[np.int64] = (base + extra) * signs[group]
    return result


def round_table(columns: Sequence[Sequence[Decimal]]) -> list[list[Decimal]]:
    """Round a table of exact amounts to the cent so that it foots and cross-foots.

    A finance reader adds a row across (its months against its total) and a column down
    (a month's rows against the total row); both must hold to the cent in the workbook.
    So each column's total is its exact sum rounded half-up (the grand total is the sum
    of those: a month repeated twelve times shows twelve equal months, not one a cent
    up); each cell is its exact amount floored to the cent, and each
    column's cents left to hand out go to the rows furthest behind their exact amount so
    far (the months before, plus this cell's remainder), largest first, ties to the
    earlier row. A row's total is then the sum of its cells: every cell is within a cent
    of its exact amount, and a row's total stays as near its exact one as the columns
    allow (within a cent as a rule, a few at most). Cells in whole cents never move.

    Args:
        columns: Exact amounts, one sequence per column (a month), each in row order.

    Returns:
        The rounded columns, in the same shape.
    """
    if not columns:
        return []
    behind = [Decimal(0)] * len(columns[0])
    targets = [sum(column, Decimal(0)).quantize(CENT, rounding=ROUND_HALF_UP) for column in columns]
    out: list[list[Decimal]] = []
    for column, target in zip(columns, targets, strict=True):
        shown = [amount.quantize(CENT, rounding=ROUND_FLOOR) for amount in column]
        spare = int((target - sum(shown, Decimal(0))).scaleb(2))
        if spare > 0:
            fractional = [i for i, (a, c) in enumerate(zip(column, shown, strict=True)) if a != c]
            keyed = sorted(fractional, key=lambda i: behind[i] + column[i] - shown[i], reverse=True)
            for i in keyed[:spare]:  # stable: ties to the earlier row
                shown[i] += CENT
        for i, (amount, cents) in enumerate(zip(column, shown, strict=True)):
            behind[i] += amount - cents
        out.append(shown)
    return out


def find_budget_overruns(status: pd.DataFrame, today: date) -> list[Finding]:
    """Flag budgets whose actual or forecast spend for the year exceeds the budget.

    Args:
        status: One row per budget with ``BUDGET_STATUS_COLUMNS``: ``scope``
            (``department`` | ``cost_centre``), ``name``, ``year``, ``budget``,
            ``actual`` (spend so far in the year), ``forecast`` (actual plus forecast
            for the rest of the year) — Decimals in the budget's ``currency``.
        today: The day of the analysis; budgets of years before it are history and
            not flagged.

    Returns:
        One ``budget_overrun`` finding per budget over (key
        ``budget_overrun:<scope>:<name>:<year>``): severity ``high`` when the actual
        spend is already over, ``medium`` when only the forecast is.
    """
    missing = [c for c in BUDGET_STATUS_COLUMNS if c not in status.columns]
    if missing:
        raise ValueError(f"budget status frame is missing column(s): {', '.join(missing)}")
    findings: list[Finding] = []
    records: list[dict[str, Any]] = [
        {str(k): v for k, v in r.items()}
        for r in status[list(BUDGET_STATUS_COLUMNS)].to_dict("records")
    ]
    for row in records:
        scope, name, year = str(row["scope"]), str(row["name"]), int(row["year"])
        if year < today.year:
            continue
        budget = Decimal(str(row["budget"]))
        actual = Decimal(str(row["actual"]))
        forecast = Decimal(str(row["forecast"]))
        if actual <= budget and forecast <= budget:
            continue
        severity: Severity = "high" if actual > budget else "medium"
        worst = max(actual, forecast)
        findings.append(
            Finding(
                key=f"budget_overrun:{scope}:{name}:{year}",
                kind="budget_overrun",
                severity=severity,
                application_id=None,
                product_id=None,
                subject=f"{scope.replace('_', ' ')} {name} {year}",
                evidence={
                    "scope": scope,
                    "name": name,
                    "year": year,
                    "budget": str(_cents(budget)),
                    "actual": str(_cents(actual)),
                    "forecast": str(_cents(forecast)),
                    "overrun": str(_cents(worst - budget)),
                    "basis": "actual" if actual > budget else "forecast",
                    "currency": str(row["currency"]),
                },
                monthly_savings=None,
                currency=str(row["currency"]),
            )
        )
    return findings


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)
