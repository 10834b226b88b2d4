"""Spend reports: spend by a grouping and month, converted to the reporting currency.

Each report cell is the exact sum of its spend lines converted at their rate (see
``app.spend.fx``): amortised cost at the rate of the month's last day, invoices at the
rate of their invoice date. Amounts stay exact until shown (``SpendReport.shown``):
then rounded to the cent so that the table foots and cross-foots
(``analytics.spend.round_table``): each month's rows add up to the month's total, each
row's months to the row's total, and both to the grand total, every cell within a cent
of its exact value. In one currency every amount is already whole cents and nothing
moves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import Any, NamedTuple

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, col

from analytics.spend import month_label, round_table
from app.core.errors import InvalidInputError
from app.findings.models import Finding
from app.inventory.models import Application
from app.spend.allocation import GROUPINGS, assign_keys
from app.spend.fx import FxTable, normalise_currency
from app.spend.spend_lines import UNALLOCATED, ContractInfo, actual_lines, load_contracts

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
#: Longest report, in months (a decade), so a typo in a year cannot build a huge file.
MAX_MONTHS = 120


def money(amount: Decimal) -> Decimal:
    """Round an amount half-up to the cent (the presentation boundary)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class ReportRow:
    """One row of a report: a key and its exact amount per month."""

    key: str
    months: list[Decimal]

    @property
    def total(self) -> Decimal:
        """The exact row total."""
        return sum(self.months, Decimal(0))


class ShownRow(NamedTuple):
    """One row as shown: its amounts per month and its total, rounded to the cent."""

    key: str
    months: tuple[Decimal, ...]
    total: Decimal


@dataclass(frozen=True)
class ShownReport:
    """A report's amounts as shown: whole cents, each column adding up to its total."""

    rows: list[ShownRow]
    totals: list[Decimal]
    grand_total: Decimal


@dataclass
class SpendReport:
    """Spend by one grouping, month by month, in one currency (amounts exact)."""

    currency: str
    first: int
    last: int
    by: str
    rows: list[ReportRow]
    kind: str = "spend"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def months(self) -> list[str]:
        """Month labels ``YYYY-MM`` of the columns."""
        return [month_label(m) for m in range(self.first, self.last + 1)]

    @property
    def totals(self) -> list[Decimal]:
        """Exact column totals."""
        return [
            sum((row.months[i] for row in self.rows), Decimal(0)) for i in range(len(self.months))
        ]

    @property
    def grand_total(self) -> Decimal:
        """Exact total of the whole report."""
        return sum((row.total for row in self.rows), Decimal(0))

    @cached_property
    def shown(self) -> ShownReport:
        """The amounts as every view shows them (page, JSON, CSV, XLSX): see the module."""
        zero = Decimal("0.00")
        if not self.rows:
            return ShownReport([], [zero] * len(self.months), zero)
        columns = round_table(list(zip(*(row.months for row in self.rows), strict=True)))
        cells = list(zip(*columns, strict=True))
        row_totals = [sum(months, zero) for months in cells]
        rows = list(map(ShownRow, [row.key for row in self.rows], cells, row_totals))
        totals = [sum(column, zero) for column in columns]
        return ShownReport(rows, totals, sum(totals, zero))

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape; amounts are the shown ones, as strings."""
        labels = self.months
        shown = self.shown
        return {
            "currency": self.currency,
            "from": labels[0],
            "to": labels[-1],
            "by": self.by,
            "months": labels,
            "rows": [
                {
                    "key": row.key,
                    "months": {m: str(v) for m, v in zip(labels, row.months, strict=True)},
                    "total": str(row.total),
                }
                for row in shown.rows
            ],
            "totals": {
                "months": {m: str(v) for m, v in zip(labels, shown.totals, strict=True)},
                "total": str(shown.grand_total),
            },
            **self.extra,
        }


def check_groupings(by: Sequence[str]) -> list[str]:
    """Return the groupings asked (comma lists allowed), each valid and once.

    Raises:
        InvalidInputError: A grouping is unknown (the message lists the valid ones).
    """
    asked: list[str] = []
    for item in by:
        for part in str(item).split(","):
            name = part.strip().lower().replace("-", "_")
            if not name:
                continue
            if name not in GROUPINGS:
                raise InvalidInputError(
                    f"unknown grouping {part.strip()!r}; valid groupings: {', '.join(GROUPINGS)}"
                )
            if name not in asked:
                asked.append(name)
    if not asked:
        raise InvalidInputError(f"no grouping given; valid groupings: {', '.join(GROUPINGS)}")
    return asked


def check_period(first: int, last: int) -> None:
    """Refuse a period that ends before it starts or is longer than ``MAX_MONTHS``."""
    if first > last:
        raise InvalidInputError(
            f"--from {month_label(first)} is after --to {month_label(last)}; "
            "the period must start on or before its end"
        )
    if last - first + 1 > MAX_MONTHS:
        raise InvalidInputError(f"a report covers at most {MAX_MONTHS} months")


def spend_reports(
    *,
    session: Session,
    by: Sequence[str],
    first: int,
    last: int,
    currency: str,
) -> list[SpendReport]:
    """Build the spend report of months ``first..last`` for each grouping asked."""
    groupings = check_groupings(by)
    check_period(first, last)
    currency = normalise_currency(currency)
    contracts = load_contracts(session=session)
    lines = actual_lines(session=session, contracts=contracts, first=first, last=last)
    return reports_from_lines(
        session=session,
        lines=lines,
        contracts=contracts,
        groupings=groupings,
        first=first,
        last=last,
        currency=currency,
    )


def reports_from_lines(
    *,
    session: Session,
    lines: pd.DataFrame,
    contracts: list[ContractInfo],
    groupings: list[str],
    first: int,
    last: int,
    currency: str,
    kind: str = "spend",
) -> list[SpendReport]:
    """Group spend lines by each grouping, convert them, and return the reports."""
    fx = FxTable.load(session=session)
    reports = []
    for by in groupings:
        keyed = assign_keys(lines, by, session)
        rows = convert(keyed, fx=fx, currency=currency, first=first, last=last)
        reports.append(SpendReport(currency, first, last, by, rows, kind=kind))
    return reports


def convert(
    keyed: pd.DataFrame, *, fx: FxTable, currency: str, first: int, last: int
) -> list[ReportRow]:
    """Sum keyed cents per key and month in ``currency``; rows sorted, Unallocated last."""
    span = last - first + 1
    if keyed.empty:
        return []
    grouped = (
        keyed.groupby(["key", "month", "currency", "rate_day"], sort=False)["cents"]
        .sum()
        .reset_index()
    )
    pairs = grouped[["currency", "rate_day"]].drop_duplicates()
    rates: dict[tuple[str, date], Decimal] = {}
    for cur, day in sorted(pairs.itertuples(index=False, name=None), key=lambda p: (p[1], p[0])):
        rates[(cur, day)] = fx.rate(cur, currency, day)
    cells: dict[str, list[Decimal]] = {}
    for key, month, cur, day, cents in grouped.itertuples(index=False, name=None):
        row = cells.setdefault(str(key), [Decimal(0)] * span)
        rate = rates[(cur, day)]
        amount = Decimal(int(cents)) / HUNDRED
        row[int(month) - first] += amount if rate == 1 else amount * rate
    order = sorted(cells, key=lambda k: (k == UNALLOCATED, k.casefold(), k))
    return [ReportRow(key, cells[key]) for key in order]


@dataclass
class SavingsRow:
    """Open findings of one kind on one application and what they would save."""

    kind: str
    application: str
    findings: int
    monthly_savings: Decimal

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape (money as strings, rounded to the cent)."""
        return {
            "kind": self.kind,
            "application": self.application,
            "findings": self.findings,
            "monthly_savings": str(money(self.monthly_savings)),
            "annual_savings": str(money(self.monthly_savings * 12)),
        }


def savings_report(*, session: Session, currency: str, today: date) -> list[SavingsRow]:
    """Sum the monthly savings of open findings by kind and application, in ``currency``."""
    currency = normalise_currency(currency)
    fx = FxTable.load(session=session)
    query = (
        sa.select(
            col(Finding.kind),
            col(Application.name),
            col(Finding.monthly_savings),
            col(Finding.currency),
        )
        .outerjoin(Application, col(Application.id) == col(Finding.application_id))
        .where(col(Finding.status) == "open")
    )
    rows: dict[tuple[str, str], SavingsRow] = {}
    for kind, app_name, savings, cur in session.execute(query).all():
        key = (kind, app_name or NO_APP)
        row = rows.setdefault(key, SavingsRow(kind, key[1], 0, Decimal(0)))
        row.findings += 1
        if savings is not None and cur:
            row.monthly_savings += Decimal(savings) * fx.rate(cur.upper(), currency, today)
    return sorted(rows.values(), key=lambda r: (-r.monthly_savings, r.kind, r.application))


NO_APP = "(no application)"
