"""Spend forecast maths: each contract's cost over the coming months, and a back-test.

Months are integers (``analytics.spend.month_index``); ``as_of`` is the last month
treated as known, the forecast covers ``as_of + 1 .. as_of + horizon``. Per contract:

* **Known schedule** (``basis == "schedule"``, contracts costed by amortisation): inside
  the current term the amortised cost is known exactly (the ``schedule`` frame).
* **Invoice history** (``basis == "invoice"``): invoiced monthly (an invoice in each of
  the last 3 months) → the mean of the last 3 months; else with 12+ months of history →
  the same month a year earlier (annual and quarterly invoices recur in their month);
  else → the run rate (history total / months since the first invoice, at most 12).
* **Contract end**: after ``end`` a contract that ``renews`` continues at its last
  monthly cost times ``(1 + uplift) ** k`` on its ``k``-th renewal (every ``term``
  months); one that does not renew costs nothing.
* **Seat trend**: the least-squares line through the product's monthly seat counts (the
  last 12 months up to ``as_of``, at least 3 of them) gives the seats expected in a
  month, relative to the line's value at ``as_of`` (clamped to 0..3). Seat-priced
  contracts billed monthly follow it every month; other seat-priced contracts take it
  at each renewal (the seats bought then).

The result is exact Decimals; callers round half-up to the cent when they present it.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
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
]

#: One row per contract (``contract`` ids are any unique ints).
CONTRACT_COLUMNS: Final = (
    "contract",
    "basis",  # schedule | invoice
    "start",  # first month
    "end",  # last month of the current term, None when open-ended
    "term",  # months per renewal term (None: use the current term's length)
    "renews",  # bool
    "uplift",  # Decimal fraction per renewal (0.05 = +5 %)
    "renewal_monthly",  # Decimal: monthly cost of the current term (schedule basis)
    "product_id",  # None when the contract prices no known product
    "seat_priced",  # cost follows the seat count
    "monthly_billing",  # billed every month (follows seats every month)
)
#: Known amortised cost per contract and month (schedule basis).
SCHEDULE_COLUMNS: Final = ("contract", "month", "amount")
#: Actual spend per contract and month up to ``as_of`` (invoice basis).
HISTORY_COLUMNS: Final = ("contract", "month", "amount")
#: Seats in use per product and month up to ``as_of``.
SEAT_COLUMNS: Final = ("product_id", "month", "seats")

_MAX_FACTOR: Final = Decimal(3)
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


def _invoice_baseline(history: dict[int, Decimal], as_of: int) -> tuple[str, Decimal]:
    """Return how a contract's invoices recur (``monthly`` | ``seasonal`` | ``run_rate``)."""
    known = {m: a for m, a in history.items() if m <= as_of}
    if not known:
        return "run_rate", Decimal(0)
    first = min(known)
    last3 = [known.get(m) for m in range(as_of - 2, as_of + 1)]
    if all(v is not None and v != 0 for v in last3):
        return "monthly", sum((v for v in last3 if v is not None), Decimal(0)) / 3
    span = as_of - first + 1
    if span >= 12:
        return "seasonal", Decimal(0)
    window = min(span, 12)
    total = sum((a for m, a in known.items() if m > as_of - window), Decimal(0))
    return "run_rate", total / window


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
        follows_monthly = seat_priced and bool(row["monthly_billing"])
        end = None if _missing(row["end"]) else int(row["end"])
        start = int(row["start"])
        term = None if _missing(row["term"]) else int(row["term"])
        if term is None and end is not None:
            term = max(end - start + 1, 1)
        uplift = Decimal(0) if _missing(row["uplift"]) else Decimal(row["uplift"])
        amounts = dict(invoiced.get(contract, {}))
        mode, level = _invoice_baseline(amounts, as_of)
        for month in range(as_of + 1, as_of + horizon + 1):
            if month < start and row["basis"] == "invoice":
                continue
            renewal = 0
            if end is not None and month > end:
                if not bool(row["renews"]) or term is None:
                    continue
                renewal = (month - end - 1) // term + 1
            if row["basis"] == "schedule":
                if renewal == 0:
                    amount = known.get(contract, {}).get(month, Decimal(0))
                else:
                    amount = Decimal(row["renewal_monthly"] or 0)
            elif mode == "seasonal":
                amount = amounts.get(month - 12, Decimal(0))
                amounts[month] = amount
            else:
                amount = level
            if renewal:
                amount *= (1 + uplift) ** renewal
            if follows_monthly:
                amount *= _seat_factor(trend, month - as_of)
            elif seat_priced and renewal and end is not None and term is not None:
                renewed_at = end + 1 + (renewal - 1) * term
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


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)
