"""Findings as the e-mails summarise them: by kind (and application), with a few examples
and links to the findings page, savings in the reporting currency.

An e-mail never lists every finding: a renewal alert of a large tenant would carry
hundreds (Gmail clips a message after 102 KB, hiding what follows, links included).

* **Summary** — the findings a condition selects, counted and their savings added up by
  kind (and by application for the digest), each group with a link to the findings
  page filtered to it; the largest few as examples; a link to all of them.

* **Converted** — each finding's monthly savings converted to the reporting currency at
  the stored FX rates of the day (``app.spend.fx``: the rate on that day or the latest
  before it); a currency without a usable rate converts to nothing and is named.
* **Totals** — the savings added up per currency, then converted and summed as
  ``app.spend.fx.RatesOfDay.add_up`` does: one figure in the reporting currency, never a list of
  currencies; the currencies it leaves out (no rate) are named beside it.
* **Order** — largest converted savings first; findings whose savings could not be
  converted after those (largest first in their own currency), then those without
  savings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.findings.models import Finding
from app.inventory.models import Application
from app.spend.fx import RatesOfDay

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
    priced: bool = True
    """Whether any of the findings states savings (a notice deadline does not)."""


class Converter(RatesOfDay):
    """Converts findings' savings to one currency at the stored rates of one day."""

    def convert(self, amount: Decimal | None, currency: str | None) -> Decimal | None:
        """``amount`` in the target currency, or None when unknown or without a rate."""
        rate = self.rate(currency or self.currency)
        if amount is None or rate is None:
            return None
        return (Decimal(amount) * rate).quantize(CENT)

    def savings(self, amounts: dict[str, Decimal]) -> SavingsTotal:
        """Amounts by currency added up in the target currency to the cent (missing rates
        named)."""
        added = self.add_up(amounts)
        return SavingsTotal(
            added.total.quantize(CENT), self.currency, added.missing, priced=bool(amounts)
        )

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
        return self.savings(amounts)


def largest_first(line: SummaryLine) -> tuple[int, Decimal, str, str, str]:
    """Sort key: converted savings first, then unconverted ones, then none (module rules)."""
    if line.converted is not None:
        rank, amount = 0, line.converted
    elif line.monthly_savings is not None:
        rank, amount = 1, Decimal(line.monthly_savings)
    else:
        rank, amount = 2, Decimal(0)
    return rank, -amount, line.app_name, line.kind, line.subject


@dataclass(frozen=True)
class SummaryGroup:
    """The findings of one kind (or one application): how many, their savings, a link."""

    label: str
    count: int
    savings: SavingsTotal
    link: str | None


@dataclass(frozen=True)
class FindingsSummary:
    """Findings summarised for an e-mail (see the module rules)."""

    count: int
    savings: SavingsTotal
    by_kind: list[SummaryGroup]
    by_application: list[SummaryGroup]
    examples: list[SummaryLine]
    link: str


@dataclass
class _Tally:
    """A count and savings per currency, added up."""

    count: int = 0
    amounts: dict[str, Decimal] = field(default_factory=dict)

    def add(self, count: int, currency: str, amount: Decimal | None) -> None:
        self.count += count
        if amount is not None:
            self.amounts[currency] = self.amounts.get(currency, Decimal(0)) + Decimal(amount)


def findings_link(base_url: str, **query: str | int) -> str:
    """The findings page filtered by ``query`` (empty values left out)."""
    shown = {k: str(v) for k, v in query.items() if v not in ("", None)}
    return f"{base_url.rstrip('/')}/findings" + (f"?{urlencode(shown)}" if shown else "")


def summarise(
    *,
    session: Session,
    converter: Converter,
    conditions: list[Any],
    base_url: str,
    scope: dict[str, str | int],
    examples: int = 5,
) -> FindingsSummary:
    """Summarise the findings matching ``conditions``; links filter the findings page by
    ``scope`` (which must select the same findings) plus ``status=open``.

    Counted and added up in SQL (a kind, application and currency at a time), so the
    e-mail costs the same for ten findings or a hundred thousand.
    """
    scope = {**scope, "status": "open"}
    rows = session.execute(
        sa.select(
            col(Finding.kind),
            col(Finding.application_id),
            col(Application.name),
            col(Finding.currency),
            sa.func.count(col(Finding.id)),
            sa.func.sum(col(Finding.monthly_savings)),
        )
        .outerjoin(Application, col(Application.id) == col(Finding.application_id))
        .where(*conditions)
        .group_by(
            col(Finding.kind), col(Finding.application_id), col(Application.name),
            col(Finding.currency),
        )
    ).all()  # fmt: skip
    kinds: dict[str, _Tally] = {}
    apps: dict[tuple[int | None, str], _Tally] = {}
    everything = _Tally()
    for kind, app_id, app_name, currency, n, amount in rows:
        code = currency or converter.currency
        for tally in (
            kinds.setdefault(kind, _Tally()),
            apps.setdefault((app_id, app_name or "—"), _Tally()),
            everything,
        ):
            tally.add(int(n), code, amount)

    def group(label: str, tally: _Tally, link: str | None) -> SummaryGroup:
        return SummaryGroup(label, tally.count, converter.savings(tally.amounts), link)

    by_kind = [
        group(kind, tally, findings_link(base_url, **scope, kind=kind))
        for kind, tally in kinds.items()
    ]
    by_app = [
        group(name, tally, None if app_id is None else findings_link(base_url, **scope,
              application=app_id))
        for (app_id, name), tally in apps.items()
    ]  # fmt: skip

    def order(g: SummaryGroup) -> tuple[Decimal, int, str]:
        return -g.savings.total, -g.count, g.label

    return FindingsSummary(
        count=everything.count,
        savings=converter.savings(everything.amounts),
        by_kind=sorted(by_kind, key=order),
        by_application=sorted(by_app, key=order),
        examples=_largest(session, converter, conditions, examples),
        link=findings_link(base_url, **scope),
    )


def _largest(
    session: Session, converter: Converter, conditions: list[Any], limit: int
) -> list[SummaryLine]:
    """The ``limit`` findings with the largest savings in the reporting currency: the
    largest of each currency are read, then compared converted."""
    currencies = session.exec(select(col(Finding.currency)).where(*conditions).distinct()).all()
    candidates: list[SummaryLine] = []
    for currency in currencies:
        same = (
            col(Finding.currency).is_(None)
            if currency is None
            else col(Finding.currency) == currency
        )
        rows = session.exec(
            select(Finding, col(Application.name))
            .outerjoin(Application, col(Application.id) == col(Finding.application_id))
            .where(*conditions, same)
            .order_by(col(Finding.monthly_savings).desc().nulls_last(), col(Finding.id))
            .limit(limit)
        ).all()
        candidates.extend(
            converter.line(
                app_name=name or "—", kind=f.kind, subject=f.subject, severity=f.severity,
                monthly_savings=f.monthly_savings, currency=f.currency,
            )
            for f, name in rows
        )  # fmt: skip
    return sorted(candidates, key=largest_first)[:limit]
