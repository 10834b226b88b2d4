"""Forecast spend lines for the coming months, by the spend model as it stood at a month's end.

Uses ``analytics.forecast``: known amortised schedules, invoice history, renewals of
auto-renewing contracts (with an optional uplift per contract), contract ends, and the
seat trend of each product from its usage history (distinct accounts active per month).
The lines are shaped as actual spend lines (:func:`app.spend.spend_lines.lines_frame`),
so the forecast report (:mod:`app.spend.forecast_service`), its back-test
(:mod:`app.spend.forecast_backtest`) and budgets (:mod:`app.spend.budgets`) treat them
as they treat actual spend.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, col

from analytics.forecast import forecast_contracts
from analytics.spend import month_end, month_index, to_cents
from app.spend.models import Invoice
from app.spend.spend_lines import ContractInfo, invoice_rows, lines_frame
from app.usage.models import UsageDaily

HUNDRED = Decimal(100)
#: Months of invoices the forecast reads: a triennial invoice's last cycle.
HISTORY = 36


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
