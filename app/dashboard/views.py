"""Dashboard figures, aggregated in SQL (the page must stay fast with 100,000 people)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from analytics.spend import month_index
from app.core.errors import SeatwiseError
from app.findings.models import Finding
from app.inventory.models import Application, Subscription
from app.inventory.seat_counts import (
    ReadCache,
    application_seats,
    cached,
)
from app.inventory.views import total_seats_bought
from app.renewals.service import due_within
from app.spend.fx import FxTable
from app.spend.service import SpendReport, spend_reports

RENEWAL_HORIZON_DAYS = 90


@dataclass
class Seats:
    """Seats bought (vendor or contract figure), held, and held by active accounts."""

    bought: int = 0
    assigned: int = 0
    active: int = 0


@dataclass
class Dashboard:
    """Everything the dashboard shows, converted to one currency."""

    currency: str
    annual_spend: Decimal | None
    spend_error: str | None
    savings_by_kind: dict[str, Decimal]
    findings_by_kind: dict[str, int]
    seats: Seats
    renewals: list[dict[str, Any]]
    spend_by_category: list[tuple[str, Decimal]]
    monthly_trend: list[tuple[str, Decimal]]
    top_waste: list[dict[str, Any]] = field(default_factory=list)

    @property
    def annual_savings(self) -> Decimal:
        """Yearly savings of the open findings."""
        return sum(self.savings_by_kind.values(), Decimal(0)) * 12


def seat_totals(*, session: Session, today: date, cache: ReadCache | None = None) -> Seats:
    """Seats bought (as the Applications list counts them, which the card links to),
    assigned and active, across every application."""
    bought = total_seats_bought(session=session, today=today)
    per_app = application_seats(session=session, today=today, cache=cache).values()
    assigned = sum(a for a, _ in per_app)
    active = sum(b for _, b in per_app)
    return Seats(int(bought or 0), int(assigned), int(active))


def to_currency(
    fx: FxTable, amount: Decimal, currency: str | None, target: str, day: date
) -> Decimal:
    """Convert with the stored rates; an amount with no usable rate is left out (0)."""
    if currency is None or currency == target:
        return amount
    try:
        return amount * fx.rate(currency, target, day)
    except SeatwiseError:
        return Decimal(0)


def open_savings(
    *, session: Session, currency: str, today: date
) -> tuple[dict[str, Decimal], dict[str, int], list[dict[str, Any]]]:
    """Monthly savings and counts of open findings by kind, and the top 10 apps by waste."""
    fx = FxTable.load(session=session)
    # Aggregated on the findings alone (a covering index), then named: joining first
    # would look an application up for every one of tens of thousands of findings.
    totals = (
        sa.select(
            col(Finding.kind).label("kind"),
            col(Finding.application_id).label("app_id"),
            col(Finding.currency).label("currency"),
            sa.func.count().label("n"),
            sa.func.coalesce(sa.func.sum(col(Finding.monthly_savings)), 0).label("total"),
        )
        .where(col(Finding.status) == "open")
        .group_by(col(Finding.kind), col(Finding.application_id), col(Finding.currency))
        .subquery()
    )
    rows = session.execute(
        sa.select(
            totals.c.kind,
            totals.c.app_id,
            col(Application.name),
            totals.c.currency,
            totals.c.n,
            totals.c.total,
        ).outerjoin(Application, col(Application.id) == totals.c.app_id)
    ).all()
    by_kind: dict[str, Decimal] = defaultdict(Decimal)
    counts: dict[str, int] = defaultdict(int)
    by_app: dict[tuple[int | None, str], Decimal] = defaultdict(Decimal)
    for kind, app_id, app_name, cur, n, total in rows:
        amount = to_currency(fx, Decimal(str(total)), cur, currency, today)
        by_kind[kind] += amount
        counts[kind] += int(n)
        by_app[(app_id, app_name or "(no application)")] += amount
    top = sorted(by_app.items(), key=lambda item: -item[1])[:10]
    top_waste = [
        {"id": app_id, "name": name, "monthly": amount, "annual": amount * 12}
        for (app_id, name), amount in top
        if amount > 0
    ]
    return dict(sorted(by_kind.items())), dict(counts), top_waste


def upcoming_renewals(
    *, session: Session, today: date, days: int = RENEWAL_HORIZON_DAYS
) -> list[dict[str, Any]]:
    """Contracts renewing, or whose notice deadline falls, within ``days``.

    Trials are left out, as on the renewals page this panel links to: a trial ends rather
    than renews (its ``trial_ending`` finding and alert cover it). What falls within is
    the renewals page's rule (:func:`~app.renewals.service.due_within`), so the page's
    ``/renewals?within=90`` lists exactly these.
    """
    horizon = today + timedelta(days=days)
    rows = session.execute(
        sa.select(Subscription, col(Application.name))
        .join(Application, col(Application.id) == col(Subscription.application_id))
        .where(
            col(Subscription.is_trial).is_(False),
            col(Subscription.renewal_date).is_not(None),
            col(Subscription.renewal_date) >= today,
            col(Subscription.renewal_date) <= horizon + timedelta(days=366),
        )
        .order_by(col(Subscription.renewal_date))
    ).all()
    out = []
    for sub, app_name in rows:
        renewal: date = sub.renewal_date
        notice = renewal - timedelta(days=sub.notice_days or 0)
        if due_within(renewal_date=renewal, notice_deadline=notice, as_of=today, days=days):
            out.append(
                {
                    "id": sub.id,
                    "application": app_name,
                    "application_id": sub.application_id,
                    "contract": sub.contract_number,
                    "renewal_date": renewal,
                    "notice_deadline": notice,
                    "days_to_notice": (notice - today).days,
                    "auto_renew": sub.auto_renew,
                }
            )
    return out


def spend_by_category(
    *, session: Session, currency: str, today: date, cache: ReadCache | None = None
) -> tuple[SpendReport | None, str | None]:
    """The last 12 months of spend by category (or why it cannot be computed)."""
    return cached(
        cache,
        session=session,
        key=("spend_by_category", currency, today),
        compute=lambda: _spend_by_category(session=session, currency=currency, today=today),
    )


def _spend_by_category(
    *, session: Session, currency: str, today: date
) -> tuple[SpendReport | None, str | None]:
    last = month_index(today)
    try:
        (report,) = spend_reports(
            session=session, by=["category"], first=last - 11, last=last, currency=currency
        )
    except SeatwiseError as exc:
        return None, str(exc)
    return report, None


def build_dashboard(
    *, session: Session, currency: str, today: date, cache: ReadCache | None = None
) -> Dashboard:
    """Collect every dashboard figure (``cache`` keeps the seat and spend totals)."""
    by_category, spend_error = spend_by_category(
        session=session, currency=currency, today=today, cache=cache
    )
    savings, counts, top = open_savings(session=session, currency=currency, today=today)
    categories: list[tuple[str, Decimal]] = []
    trend: list[tuple[str, Decimal]] = []
    annual: Decimal | None = None
    if by_category is not None:
        annual = by_category.grand_total
        categories = sorted(((r.key, r.total) for r in by_category.rows), key=lambda kv: -kv[1])
        trend = list(zip(by_category.months, by_category.totals, strict=True))
    return Dashboard(
        currency=currency,
        annual_spend=annual,
        spend_error=spend_error,
        savings_by_kind=savings,
        findings_by_kind=counts,
        seats=seat_totals(session=session, today=today, cache=cache),
        renewals=upcoming_renewals(session=session, today=today),
        spend_by_category=categories,
        monthly_trend=trend,
        top_waste=top,
    )
