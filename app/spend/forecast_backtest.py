"""An honest back-test of the spend forecast.

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

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from analytics.forecast import mape, wape
from analytics.spend import month_index, month_label
from app.spend.allocation import assign_keys
from app.spend.forecast_lines import forecast_lines
from app.spend.fx import FxTable
from app.spend.service import convert, money
from app.spend.spend_lines import ContractInfo, actual_lines


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
