"""Spend forecast reports for the coming months, each with an honest back-test.

The forecast starts the month after today's (today's month counts as known); its lines
come from :mod:`app.spend.forecast_lines`, its back-test from
:mod:`app.spend.forecast_backtest`. Forecast amounts are rounded half-up to the cent
per contract and month, then allocated like actual spend — to today's seat holders —
and converted at the latest rate on or before today. As shown, every month column and
every row adds up to its total (``ForecastReport``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlmodel import Session

from analytics.spend import month_index
from app.core.errors import InvalidInputError
from app.spend.forecast_backtest import Backtest, backtest
from app.spend.forecast_lines import forecast_lines
from app.spend.fx import normalise_currency
from app.spend.service import SpendReport, check_groupings, reports_from_lines
from app.spend.spend_lines import load_contracts

MAX_HORIZON = 36


@dataclass
class ForecastReport(SpendReport):
    """A forecast by one grouping, shown as the spend report is (``SpendReport.shown``:
    rows and columns both add up, every cell within a cent of its exact amount).

    A forecast is where that matters most: converted at one rate, a row repeats the same
    fraction of a cent every month (3,011.7117 a month shows 3,011.71, and its total the
    twelve shown months, 36,140.52, not 36,140.54 from the exact amount).
    """

    kind: str = "forecast"


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
