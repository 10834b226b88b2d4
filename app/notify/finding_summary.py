"""Findings as the e-mails summarise them: savings in the reporting currency.

* **Converted** — each finding's monthly savings converted to the reporting currency at
  the stored FX rates of the day (``app.spend.fx``: the rate on that day or the latest
  before it); a currency without a usable rate converts to nothing and is named.
* **Totals** — the savings added up per currency, then converted and summed with
  ``app.spend.fx.total_in``: one figure in the reporting currency, never a list of
  currencies; the currencies it leaves out (no rate) are named beside it.
* **Order** — largest converted savings first; findings whose savings could not be
  converted after those (largest first in their own currency), then those without
  savings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlmodel import Session

from app.spend.fx import FxTable, MissingFxRateError, total_in

CENT = Decimal("0.01")


@dataclass(frozen=True)
class SummaryLine:
    """One finding: its savings in its own currency and in the reporting currency."""

    app_name: str
    kind: str
    subject: str
    severity: str
    monthly_savings: Decimal | None
    currency: str | None
    converted: Decimal | None
    """``monthly_savings`` in the reporting currency (None: no savings, or no rate)."""


@dataclass(frozen=True)
class SavingsTotal:
    """Monthly savings added up in the reporting currency."""

    total: Decimal
    currency: str
    missing: tuple[str, ...] = ()
    """Currencies left out of ``total`` for want of a rate."""


class Converter:
    """Converts amounts to one currency at the stored rates of one day."""

    def __init__(self, *, session: Session, currency: str, day: date) -> None:
        self.session, self.currency, self.day = session, currency, day
        self._fx: FxTable | None = None

    def convert(self, amount: Decimal | None, currency: str | None) -> Decimal | None:
        """``amount`` in the target currency, or None when unknown or without a rate."""
        if amount is None:
            return None
        code = currency or self.currency
        if code == self.currency:
            return Decimal(amount)
        if self._fx is None:
            self._fx = FxTable.load(session=self.session)
        try:
            return (Decimal(amount) * self._fx.rate(code, self.currency, self.day)).quantize(CENT)
        except MissingFxRateError:
            return None

    def line(
        self,
        *,
        app_name: str,
        kind: str,
        subject: str,
        severity: str,
        monthly_savings: Decimal | None,
        currency: str | None,
    ) -> SummaryLine:
        """A summary line with its savings converted."""
        return SummaryLine(
            app_name,
            kind,
            subject,
            severity,
            monthly_savings,
            currency,
            self.convert(monthly_savings, currency),
        )

    def total(self, lines: Iterable[SummaryLine]) -> SavingsTotal:
        """The lines' savings added up in the target currency (see the module rules)."""
        amounts: dict[str, Decimal] = {}
        for line in lines:
            if line.monthly_savings is not None:
                code = line.currency or self.currency
                amounts[code] = amounts.get(code, Decimal(0)) + Decimal(line.monthly_savings)
        converted = total_in(
            session=self.session, amounts=amounts, currency=self.currency, day=self.day
        )
        return SavingsTotal(converted.total.quantize(CENT), self.currency, converted.missing)


def largest_first(line: SummaryLine) -> tuple[int, Decimal, str, str, str]:
    """Sort key: converted savings first, then unconverted ones, then none (module rules)."""
    if line.converted is not None:
        rank, amount = 0, line.converted
    elif line.monthly_savings is not None:
        rank, amount = 1, Decimal(line.monthly_savings)
    else:
        rank, amount = 2, Decimal(0)
    return rank, -amount, line.app_name, line.kind, line.subject
