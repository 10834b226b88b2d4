"""Demo step: FX rates for the demo contracts' currencies, so every report converts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from app.core.db import session_scope
from app.spend.fx import set_rate

if TYPE_CHECKING:
    from app.demo import DemoContext

# Illustrative rates (1 unit of the currency in EUR); the demo only needs them to exist.
DEMO_RATES = {"USD": Decimal("0.92"), "GBP": Decimal("1.17")}
YEARS_BACK = 3


def store_demo_fx_rates(ctx: DemoContext) -> None:
    """Store a rate on the first of every month for three years, up to the demo's today."""
    reporting = ctx.settings.reporting_currency
    with session_scope(ctx.engine) as session:
        stored = 0
        for months_back in range(12 * YEARS_BACK + 1):
            month_index = ctx.today.year * 12 + ctx.today.month - 1 - months_back
            day = date(month_index // 12, month_index % 12 + 1, 1)
            for currency, rate in DEMO_RATES.items():
                if currency != reporting:
                    set_rate(session=session, base=currency, quote=reporting, day=day, rate=rate)
                    stored += 1
    ctx.say(f"stored {stored} FX rates ({', '.join(DEMO_RATES)} → {reporting})")
