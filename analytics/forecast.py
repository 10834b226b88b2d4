"""Spend forecast maths: each contract's cost over the coming months, and a back-test.

Months are integers (``analytics.spend.month_index``); ``as_of`` is the last month
treated as known, the forecast covers ``as_of + 1 .. as_of + horizon``. A month's
forecast follows the rules of a month's actual spend (``app.spend.spend_lines``): a
contract with invoices costs what it is invoiced, in the month of each invoice; one
without is amortised over its term. Per contract:

* **Known schedule** (``basis == "schedule"``, contracts costed by amortisation): inside
  the current term the amortised cost is known exactly (the ``schedule`` frame); each
  renewal is amortised the same way, at ``renewal_monthly`` a month.
* **Invoices** (``basis == "invoice"``): the invoices recur every billing ``cycle``
  (the contract's; without one, the shortest gap between invoice months, else 12):
  each invoice of the last cycle — the ``cycle`` months up to the last invoice —
  recurs ``cycle``, ``2 * cycle``, … months later. An annual invoice dated in February
  is forecast every February, in full; a monthly one every month; an annual
  commitment invoiced monthly replays its last twelve months. A stream with no term
  (an open-ended contract, invoices tied to no contract) whose next invoice is more
  than a month overdue has stopped and is forecast at nothing.
* **Contract end**: after ``end`` a contract that ``renews`` continues, its ``k``-th
  renewal (every ``term`` months) at ``(1 + uplift) ** k`` times the current term's
  cost (an invoice: times that of the term it recurs from); one that does not renew
  costs nothing.
* **Seat trend**: the least-squares line through the product's monthly seat counts (the
  last 12 months up to ``as_of``, at least 3 of them) gives the seats expected in a
  month, relative to the line's value at ``as_of`` (clamped to 0..3). Seat-priced
  contracts billed monthly follow it every month; other seat-priced contracts take it
  at each renewal (the seats bought then).

The result is exact Decimals; callers round half-up to the cent when they present it.
The back-test measure is ``wape``: the error of the months' totals weighted by money
(``mape`` is undefined on a month without spend and explodes on a small one, and
invoices make months lumpy).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from itertools import pairwise
from typing import Any, Final

import numpy as np
import pandas as pd

__all__ = [
    "CONTRACT_COLUMNS",
    "HISTORY_COLUMNS",
    "SEAT_COLUMNS",
    "forecast_contracts",
    "mape",
    "seat_trends",
    "wape",
]

#: One row per contract (``contract`` ids are any unique ints).
CONTRACT_COLUMNS: Final = (
    "contract",
    "basis",  # schedule | invoice
    "start",  # first month
    "end",  # last month of the current term (its last cost month), None when open-ended
    "term",  # months per renewal term (None: use the current term's length)
    "renews",  # bool
    "uplift",  # Decimal fraction per renewal (0.05 = +5 %)
    "renewal_monthly",  # Decimal: monthly cost of the current term (schedule basis)
    "product_id",  # None when the contract prices no known product
    "seat_priced",  # cost follows the seat count
    "cycle",  # billing cycle in months (1: monthly, follows seats every month); None: unknown
)
#: Known amortised cost per contract and month (schedule basis).
SCHEDULE_COLUMNS: Final = ("contract", "month", "amount")
#: Actual spend per contract and month up to ``as_of`` (invoice basis).
HISTORY_COLUMNS: Final = ("contract", "month", "amount")
#: Seats in use per product and month up to ``as_of``.
SEAT_COLUMNS: Final = ("product_id", "month", "seats")

_MAX_FACTOR: Final = Decimal(3)
#: Invoices tied to no term recur while their next one is at most this many months late.
_GRACE_MONTHS: Final = 1
#: The billing cycle of a lone invoice whose contract states none: yearly.
_DEFAULT_CYCLE: Final = 12
_PRECISION: Final = Decimal("0.000001")


def _check(frame: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} frame is missing column(s): {', '.join(missing)}")


def seat_trends(seats: pd.DataFrame, as_of: int) -> dict[int, tuple[float, float]]:
    """Return ``product_id → (level at as_of, slope per month)`` of the seat trend.

    Args:
        seats: ``SEAT_COLUMNS`` rows (months after ``as_of`` are ignored).
        as_of: The last known month.

    Returns:
        The least-squares line of each product with at least 3 months of counts in
        the 12 months up to ``as_of``.
    """
    _check(seats, SEAT_COLUMNS, "seats")
    window = seats[(seats["month"] <= as_of) & (seats["month"] > as_of - 12)]
    trends: dict[int, tuple[float, float]] = {}
    for product_id, rows in window.groupby("product_id"):
        if len(rows) < 3:
            continue
        x = rows["month"].to_numpy(dtype=np.float64) - as_of
        y = rows["seats"].to_numpy(dtype=np.float64)
        slope, intercept = np.polyfit(x, y, 1)
        trends[int(str(product_id))] = (float(intercept), float(slope))
    return trends


def _seat_factor(trend: tuple[float, float] | None, months_ahead: int) -> Decimal:
    if trend is None:
        return Decimal(1)
    level, slope = trend
    if level <= 0:
        return Decimal(1)
    factor = Decimal(repr(max(0.0, (level + slope * months_ahead) / level)))
    return min(factor, _MAX_FACTOR).quantize(_PRECISION)


def _by_contract(frame: pd.DataFrame) -> dict[int, dict[int, Decimal]]:
    out: dict[int, dict[int, Decimal]] = {}
    for contract, month, amount in frame[["contract", "month", "amount"]].itertuples(
        index=False, name=None
    ):
        per = out.setdefault(int(contract), {})
        per[int(month)] = per.get(int(month), Decimal(0)) + Decimal(amount)
    return out


class _Invoices:
    """How a stream's invoices recur: the last cycle's invoices, every ``cycle`` months."""

    def __init__(self, history: dict[int, Decimal], as_of: int, cycle: int | None) -> None:
        months = sorted(m for m, a in history.items() if m <= as_of and a != 0)
        if cycle is None or cycle < 1:
            gaps = [b - a for a, b in pairwise(months)]
            cycle = min(gaps) if gaps else _DEFAULT_CYCLE
        self.cycle = cycle
        self.last = months[-1] if months else None
        last = self.last if self.last is not None else as_of
        self.pattern = {m: history[m] for m in months if m > last - cycle}

    def source(self, month: int) -> int | None:
        """Return the invoiced month of the last cycle that recurs in ``month``."""
        if self.last is None:
            return None
        return month - self.cycle * -((self.last - month) // self.cycle)

    def live(self, as_of: int) -> bool:
        """Whether the next invoice is due, or at most ``_GRACE_MONTHS`` late, at ``as_of``."""
        return self.last is not None and self.last + self.cycle >= as_of - _GRACE_MONTHS


def forecast_contracts(
    contracts: pd.DataFrame,
    schedule: pd.DataFrame,
    history: pd.DataFrame,
    seats: pd.DataFrame,
    as_of: int,
    horizon: int,
) -> pd.DataFrame:
    """Forecast every contract's cost in the months after ``as_of``.

    Args:
        contracts: ``CONTRACT_COLUMNS`` rows.
        schedule: ``SCHEDULE_COLUMNS``: amortised cost known per contract and month.
        history: ``HISTORY_COLUMNS``: invoiced spend per contract and month.
        seats: ``SEAT_COLUMNS``: seats in use per product and month.
        as_of: The last known month.
        horizon: How many months to forecast.

    Returns:
        ``contract, month, amount`` rows (exact Decimals), zero amounts left out.
    """
    _check(contracts, CONTRACT_COLUMNS, "contracts")
    _check(schedule, SCHEDULE_COLUMNS, "schedule")
    _check(history, HISTORY_COLUMNS, "history")
    if horizon < 1:
        raise ValueError(f"horizon must be at least 1 month, got {horizon}")
    known = _by_contract(schedule)
    invoiced = _by_contract(history[history["month"] <= as_of])
    trends = seat_trends(seats, as_of)
    out: list[tuple[int, int, Decimal]] = []
    records: list[dict[str, Any]] = [
        {str(k): v for k, v in r.items()}
        for r in contracts[list(CONTRACT_COLUMNS)].to_dict("records")
    ]
    for row in records:
        contract = int(row["contract"])
        product = row["product_id"]
        trend = None if _missing(product) else trends.get(int(product))
        seat_priced = bool(row["seat_priced"])
        cycle = None if _missing(row["cycle"]) else int(row["cycle"])
        follows_monthly = seat_priced and cycle == 1
        end = None if _missing(row["end"]) else int(row["end"])
        start = int(row["start"])
        term = None if _missing(row["term"]) else int(row["term"])
        if term is None and end is not None:
            term = max(end - start + 1, 1)
        uplift = Decimal(0) if _missing(row["uplift"]) else Decimal(row["uplift"])
        by_invoice = row["basis"] != "schedule"
        invoices = _Invoices(invoiced.get(contract, {}), as_of, cycle)
        if by_invoice and end is None and not invoices.live(as_of):
            continue
        for month in range(as_of + 1, as_of + horizon + 1):
            if by_invoice and month < start:
                continue
            renewal = _renewals(month, end, term)
            if renewal and (not bool(row["renews"]) or term is None):
                continue
            if by_invoice:
                source = invoices.source(month)
                if source is None:
                    break
                amount = invoices.pattern.get(source, Decimal(0))
                # An invoice of a renewed term has that term's uplifts already.
                renewal -= _renewals(source, end, term)
            elif renewal == 0:
                amount = known.get(contract, {}).get(month, Decimal(0))
            else:
                amount = Decimal(row["renewal_monthly"] or 0)
            if renewal:
                amount *= (1 + uplift) ** renewal
            if follows_monthly:
                amount *= _seat_factor(trend, month - as_of)
            elif seat_priced and renewal and end is not None and term is not None:
                renewed_at = end + 1 + (_renewals(month, end, term) - 1) * term
                amount *= _seat_factor(trend, renewed_at - as_of)
            if amount:
                out.append((contract, month, amount))
    return pd.DataFrame(out, columns=["contract", "month", "amount"])


def mape(actual: Sequence[Decimal], forecast: Sequence[Decimal]) -> Decimal | None:
    """Return the mean absolute percentage error over months whose actual is not 0.

    Args:
        actual: Actual totals per month.
        forecast: Forecast totals of the same months.

    Returns:
        The MAPE in percent (``Decimal("4.20")`` for 4.2 %), or None when every actual
        month is 0 (a percentage error is undefined there).
    """
    if len(actual) != len(forecast):
        raise ValueError("actual and forecast must cover the same months")
    errors = [abs(a - f) / abs(a) for a, f in zip(actual, forecast, strict=True) if a != 0]
    if not errors:
        return None
    return (sum(errors, Decimal(0)) / len(errors) * 100).quantize(Decimal("0.01"))


def wape(actual: Sequence[Decimal], forecast: Sequence[Decimal]) -> Decimal | None:
    """Return the weighted absolute percentage error: ``sum |actual - forecast| / sum |actual|``.

    Every month counts by its money: a month without spend forecast at 1,000 adds 1,000
    to the error, a small month cannot dominate, and 10 % means the forecast was off
    by a tenth of what was spent over the months.

    Args:
        actual: Actual totals per month.
        forecast: Forecast totals of the same months.

    Returns:
        The WAPE in percent (``Decimal("4.20")`` for 4.2 %), or None when nothing was
        spent over the months (the error has nothing to be weighed against).
    """
    if len(actual) != len(forecast):
        raise ValueError("actual and forecast must cover the same months")
    spent = sum((abs(a) for a in actual), Decimal(0))
    if not spent:
        return None
    error = sum((abs(a - f) for a, f in zip(actual, forecast, strict=True)), Decimal(0))
    return (error / spent * 100).quantize(Decimal("0.01"))


def _renewals(month: int, end: int | None, term: int | None) -> int:
    """Return how many renewals lie between the current term and ``month``'s term."""
    if end is None or term is None or month <= end:
        return 0
    return (month - end - 1) // term + 1


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)
