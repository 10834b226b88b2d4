"""Spend forecast for the coming months, and an honest back-test of it.

The forecast starts the month after today's (today's month counts as known) and uses
``analytics.forecast``: known amortised schedules, invoice history, renewals of
auto-renewing contracts (with an optional uplift per contract), contract ends, and the
seat trend of each product from its usage history (distinct accounts active per month).
Forecast amounts are rounded half-up to the cent per contract and month, then
allocated like actual spend — to today's seat holders — and converted at the latest
rate on or before today. As shown, every month column and every row adds up to its
total (``ForecastReport``).

The back-test pretends it is the end of the month ``holdout`` months before the last
complete month, forecasts those months from what was known then (contracts started by
then, invoices and usage up to then: a contract first invoiced later is amortised, as
the spend model had it then) and compares the monthly totals with the actual spend of
those months (the spend report's rules, today's data): the weighted absolute
percentage error, WAPE = sum |actual - forecast| / sum actual. MAPE, the mean of
the months' percentage errors (the measure the issue names), is printed and shown
beside it, but is the weaker measure here: invoices make months lumpy, a month without
spend has no percentage error and is skipped (however much was forecast for it), and a
small month's percentage swamps the rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, col

from analytics.forecast import forecast_contracts, mape, wape
from analytics.spend import month_end, month_index, month_label, to_cents
from app.core.errors import InvalidInputError
from app.spend.allocation import assign_keys
from app.spend.fx import FxTable, normalise_currency
from app.spend.models import Invoice
from app.spend.service import (
    SpendReport,
    check_groupings,
    convert,
    money,
    reports_from_lines,
)
from app.spend.spend_lines import (
    ContractInfo,
    actual_lines,
    invoice_rows,
    lines_frame,
    load_contracts,
)
from app.usage.models import UsageDaily

HUNDRED = Decimal(100)
MAX_HORIZON = 36
#: Months of invoices the forecast reads: a triennial invoice's last cycle.
HISTORY = 36


@dataclass
class Backtest:
    """How the forecast did on the last months it could have been asked about."""

    months: list[str]
    actual: list[Decimal]
    forecast: list[Decimal]

    @property
    def wape(self) -> Decimal | None:
        """The weighted absolute percentage error of the monthly totals (the measure)."""
        return wape(self.actual, self.forecast)

    @property
    def mape(self) -> Decimal | None:
        """The mean absolute percentage error over the months with spend (kept for clients)."""
        return mape(self.actual, self.forecast)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape (errors in percent, amounts rounded to the cent)."""
        return {
            "holdout_months": len(self.months),
            "months": [
                {"month": m, "actual": str(money(a)), "forecast": str(money(f))}
                for m, a, f in zip(self.months, self.actual, self.forecast, strict=True)
            ],
            "wape_percent": None if self.wape is None else str(self.wape),
            "mape_percent": None if self.mape is None else str(self.mape),
        }

    def summary(self) -> str:
        """One line for humans."""
        if not self.months:
            return "back-test: not enough history to hold out any month"
        span = f"{self.months[0]}..{self.months[-1]}"
        if self.wape is None:
            return f"back-test over {span}: no actual spend to compare with (error undefined)"
        # The issue asks for the mean absolute percentage error; WAPE comes first as the
        # measure that holds up on lumpy invoice months (see the module docstring).
        with_spend = sum(1 for a in self.actual if a != 0)
        return (
            f"back-test over {span} (held out {len(self.months)} months): WAPE {self.wape}% "
            "(absolute error of the monthly totals over the actual spend); "
            f"MAPE {self.mape}% (mean absolute percentage error of the {with_spend} "
            f"month{'s' if with_spend != 1 else ''} with spend)"
        )


@dataclass
class ForecastReport(SpendReport):
    """A forecast by one grouping, shown as the spend report is (``SpendReport.shown``:
    rows and columns both add up, every cell within a cent of its exact amount).

    A forecast is where that matters most: converted at one rate, a row repeats the same
    fraction of a cent every month (3,011.7117 a month shows 3,011.71, and its total the
    twelve shown months, 36,140.52, not 36,140.54 from the exact amount).
    """

    kind: str = "forecast"


def _rows(frame: pd.DataFrame) -> list[Any]:
    return list(frame.itertuples(index=False))


def _stream_key(row: Any) -> tuple[Any, ...]:
    """An invoice stream: one contract in one currency, or a vendor's unlinked invoices."""
    sub = int(row.subscription_id)
    if sub >= 0:
        return (sub, row.currency)
    return (-1, row.currency, row.vendor, row.application, row.category)


def forecast_lines(
    *,
    session: Session,
    contracts: Sequence[ContractInfo],
    as_of: int,
    horizon: int,
    uplifts: Mapping[str, Decimal],
    rate_day: date | None,
) -> pd.DataFrame:
    """Return forecast spend lines for months ``as_of + 1 .. as_of + horizon``.

    Each month by the spend model as it stood at the end of ``as_of``: a contract
    invoiced by then is forecast by its invoices alone, any other is amortised — in a
    back-test, so is one first invoiced later (it was amortised then).
    """
    known = [c for c in contracts if month_index(c.start) <= as_of + horizon]
    first_invoiced = first_invoice_months(session=session)
    invoiced = {
        c.subscription_id
        for c in known
        if first_invoiced.get(c.subscription_id, as_of + 1) <= as_of
    }
    history_lines = lines_frame(
        invoice_rows(session=session, contracts=list(known), first=as_of - HISTORY + 1, last=as_of)
    )
    by_id = {c.subscription_id: c for c in known}
    stream_ids: dict[tuple[Any, ...], int] = {}
    attrs: dict[int, tuple[Any, ...]] = {}
    rows: list[dict[str, Any]] = []
    line: Any
    for line in history_lines.itertuples(index=False):
        key = _stream_key(line)
        if key in stream_ids:
            continue
        cid = stream_ids[key] = len(stream_ids) + 1
        c = by_id.get(int(line.subscription_id))
        attrs[cid] = (c, line.currency, line.vendor, line.application, line.category)
        if c is not None:
            rows.append(_contract_row(c, cid, "invoice", uplifts) | {"renewal_monthly": None})
        else:
            rows.append(
                {
                    "contract": cid,
                    "basis": "invoice",
                    "start": 0,
                    "end": None,
                    "term": None,
                    "renews": False,
                    "uplift": None,
                    "renewal_monthly": None,
                    "product_id": None,
                    "seat_priced": False,
                    "cycle": None,
                }
            )
    schedule: list[tuple[int, int, Decimal]] = []
    for c in known:
        if c.subscription_id in invoiced:
            continue
        cid = len(attrs) + 1
        attrs[cid] = (c, c.currency, c.vendor, c.application, c.category)
        months = c.term_months
        cost = c.term_cost_cents()
        schedule.extend(
            (cid, m, Decimal(cents) / HUNDRED)
            for m, cents in c.schedule(as_of + 1, as_of + horizon)
        )
        monthly = None if not cost or not months else Decimal(cost) / HUNDRED / months
        rows.append(_contract_row(c, cid, "schedule", uplifts) | {"renewal_monthly": monthly})
    history = pd.DataFrame(
        [
            (stream_ids[(_stream_key(r))], int(r.month), Decimal(int(r.cents)) / HUNDRED)
            for r in _rows(history_lines)
        ],
        columns=["contract", "month", "amount"],
    )
    result = forecast_contracts(
        pd.DataFrame(rows, columns=list(_ROW_COLUMNS)),
        pd.DataFrame(schedule, columns=["contract", "month", "amount"]),
        history,
        seat_counts(session=session, first=as_of - 11, last=as_of),
        as_of,
        horizon,
    )
    out = []
    for cid, month, amount in result.itertuples(index=False, name=None):
        c, currency, vendor, application, category = attrs[int(cid)]
        cents = to_cents(amount)
        if not cents:
            continue
        day = rate_day or month_end(int(month))
        out.append(
            (
                int(month),
                cents,
                currency,
                day,
                -1 if c is None else c.subscription_id,
                -1 if c is None or c.product_id is None else c.product_id,
                -1 if c is None or c.seats is None else c.seats,
                application,
                vendor,
                category,
                None if c is None else c.department,
                None if c is None else c.cost_centre,
                as_of,
            )
        )
    return lines_frame(out)


_ROW_COLUMNS = (
    "contract",
    "basis",
    "start",
    "end",
    "term",
    "renews",
    "uplift",
    "renewal_monthly",
    "product_id",
    "seat_priced",
    "cycle",
)


def _contract_row(
    c: ContractInfo, cid: int, basis: str, uplifts: Mapping[str, Decimal]
) -> dict[str, Any]:
    """Return a contract's ``CONTRACT_COLUMNS`` row.

    Amortised, its term ends on its last term month (as ``ContractInfo.schedule``
    spreads it). Invoiced, it ends the month before its renewal day's (``end`` + 1 day):
    an invoice dated then is the next term's, so a contract from 2026-03-29 to
    2027-03-29 that does not renew sends no invoice in March 2027.
    """
    start = month_index(c.start)
    if c.end is None:
        end = term = None
    elif basis == "invoice":
        end = month_index(c.end + timedelta(days=1)) - 1
        term = max(end - start + 1, 1)
    else:
        term = c.term_months
        end = None if term is None else start + term - 1
    return {
        "contract": cid,
        "basis": basis,
        "start": start,
        "end": end,
        "term": term,
        "renews": c.auto_renew,
        "uplift": uplifts.get(c.contract_number, uplifts.get("*", Decimal(0))),
        "product_id": c.product_id,
        "seat_priced": c.unit_price is not None and c.total_cost is None,
        "cycle": c.cycle_months,
    }


def first_invoice_months(*, session: Session) -> dict[int, int]:
    """Return the month of each contract's first invoice (contracts with invoices only)."""
    sub = col(Invoice.subscription_id)
    query = sa.select(sub, sa.func.min(col(Invoice.invoice_date))).where(sub.is_not(None))
    return {int(s): month_index(day) for s, day in session.execute(query.group_by(sub)).all()}


def seat_counts(*, session: Session, first: int, last: int) -> pd.DataFrame:
    """Return distinct accounts active per product and month (``product_id, month, seats``)."""
    year = sa.extract("year", col(UsageDaily.day))
    month = sa.extract("month", col(UsageDaily.day))
    product = col(UsageDaily.product_id)
    query = (
        sa.select(product, year, month, sa.func.count(sa.distinct(col(UsageDaily.account_id))))
        .where(
            product.is_not(None),
            col(UsageDaily.day) > month_end(first - 1),
            col(UsageDaily.day) <= month_end(last),
        )
        .group_by(product, year, month)
    )
    rows = [
        (int(p), int(y) * 12 + int(m) - 1, int(n)) for p, y, m, n in session.execute(query).all()
    ]
    return pd.DataFrame(rows, columns=["product_id", "month", "seats"])


def backtest(
    *,
    session: Session,
    contracts: Sequence[ContractInfo],
    today: date,
    currency: str,
    holdout: int = 3,
) -> Backtest:
    """Forecast the last ``holdout`` complete months from before them; compare with actual."""
    last = month_index(today) - 1
    as_of = last - holdout
    if holdout < 1:
        return Backtest([], [], [])
    known = [c for c in contracts if month_index(c.start) <= as_of]
    fx = FxTable.load(session=session)
    predicted = forecast_lines(
        session=session, contracts=known, as_of=as_of, horizon=holdout, uplifts={}, rate_day=None
    )
    actual = actual_lines(session=session, contracts=list(contracts), first=as_of + 1, last=last)
    totals = []
    for lines in (actual, predicted):
        rows = convert(
            assign_keys(lines, "vendor", None), fx=fx, currency=currency, first=as_of + 1, last=last
        )
        totals.append([sum((r.months[i] for r in rows), Decimal(0)) for i in range(holdout)])
    months = [month_label(m) for m in range(as_of + 1, last + 1)]
    return Backtest(months, totals[0], totals[1])


def parse_uplifts(items: Sequence[str]) -> dict[str, Decimal]:
    """Renewal uplifts given as ``CONTRACT=PERCENT`` (``*`` for every contract), as
    fractions by contract number; the CLI's ``--uplift`` and the API's ``uplift``.

    Raises:
        InvalidInputError: naming the item that is not one, or an uplift of -100 % or
            less (a free or negative renewal).
    """
    out: dict[str, Decimal] = {}
    for item in items:
        contract, sep, pct = item.partition("=")
        try:
            if not sep or not contract.strip():
                raise InvalidOperation
            value = Decimal(pct.strip().rstrip("%"))
            if not value.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            raise InvalidInputError(
                f"expected CONTRACT=PERCENT (e.g. C-42=5), got {item!r}"
            ) from None
        if value <= -100:
            raise InvalidInputError(
                f"an uplift of {value} % would make {contract.strip()}'s renewal free or "
                "negative; give more than -100"
            )
        out[contract.strip()] = value / 100
    return out


def forecast_reports(
    *,
    session: Session,
    by: Sequence[str],
    currency: str,
    today: date,
    horizon: int = 12,
    uplifts: Mapping[str, Decimal] | None = None,
    holdout: int = 3,
) -> tuple[list[SpendReport], Backtest]:
    """Forecast the next ``horizon`` months by each grouping, with the back-test."""
    groupings = check_groupings(by)
    currency = normalise_currency(currency)
    if not 1 <= horizon <= MAX_HORIZON:
        raise InvalidInputError(f"--months must be 1..{MAX_HORIZON}, got {horizon}")
    as_of = month_index(today)
    contracts = load_contracts(session=session)
    numbers = {c.contract_number for c in contracts}
    unknown = sorted(k for k in (uplifts or {}) if k != "*" and k not in numbers)
    if unknown:
        raise InvalidInputError(
            f"--uplift names no contract: {', '.join(unknown)} (see `seatwise subscriptions "
            "list`; `*` applies to every contract)"
        )
    lines = forecast_lines(
        session=session,
        contracts=contracts,
        as_of=as_of,
        horizon=horizon,
        uplifts=uplifts or {},
        rate_day=today,
    )
    reports: list[SpendReport] = [
        ForecastReport(r.currency, r.first, r.last, r.by, r.rows)
        for r in reports_from_lines(
            session=session,
            lines=lines,
            contracts=contracts,
            groupings=groupings,
            first=as_of + 1,
            last=as_of + horizon,
            currency=currency,
        )
    ]
    test = backtest(
        session=session, contracts=contracts, today=today, currency=currency, holdout=holdout
    )
    for report in reports:
        report.extra["backtest"] = test.to_dict()
    return reports, test
