"""Read-only queries behind the applications pages, aggregated and paginated in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from app.core.db import contains_text
from app.core.errors import NotFoundError, SeatwiseError
from app.inventory.models import Application, Product, Subscription, Vendor
from app.inventory.seat_counts import ReadCache, application_seats
from app.spend.fx import FxTable

#: Billing cycles per year, to annualise one cycle's cost.
CYCLES_PER_YEAR = {
    "monthly": 12,
    "quarterly": 4,
    "annual": 1,
    "biennial": 0.5,
    "triennial": 1 / 3,
}
SORTS = {
    "app": "name",
    "vendor": "vendor",
    "category": "category",
    "bought": "bought",
    "assigned": "assigned",
    "active": "active",
    "cost": "annual_cost",
    "per_active": "cost_per_active",
    "renewal": "next_renewal",
    "owner": "owner",
}


@dataclass
class Page:
    """One page of rows and how many match."""

    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int


def fx_case(*, session: Session, currency_col: Any, target: str, today: date) -> Any:
    """A SQL expression: the rate from each row's currency to ``target`` (0 when unknown,
    1 for rows without a currency), over the currencies ``currency_col`` holds now."""
    fx = FxTable.load(session=session)
    currencies = [
        c for (c,) in session.execute(sa.select(currency_col).distinct()).all() if c is not None
    ]
    whens = []
    for cur in currencies:
        try:
            rate = fx.rate(cur, target, today)
        except SeatwiseError:
            rate = Decimal(0)
        whens.append((currency_col == cur, sa.literal(float(rate))))
    return sa.case(*whens, else_=sa.literal(1.0)) if whens else sa.literal(1.0)


def annual_cost_expr() -> Any:
    """One contract's annual cost: one cycle's cost times the cycles in a year."""
    per_year = sa.case(
        *[
            (sa.func.lower(col(Subscription.billing_cycle)) == k, sa.literal(v))
            for k, v in CYCLES_PER_YEAR.items()
        ],
        else_=sa.literal(1.0),
    )
    cycle_cost = sa.func.coalesce(
        col(Subscription.unit_price) * col(Subscription.seats), col(Subscription.total_cost), 0
    )
    return cycle_cost * per_year


def _current_contract(today: date) -> Any:
    """A contract in force on ``today`` (started, not ended)."""
    return sa.and_(
        col(Subscription.start_date) <= today,
        sa.or_(col(Subscription.end_date).is_(None), col(Subscription.end_date) >= today),
    )


def _contract_summary(*, session: Session, currency: str, today: date) -> Any:
    rate = fx_case(
        session=session, currency_col=col(Subscription.currency), target=currency, today=today
    )
    current = _current_contract(today)
    return (
        sa.select(
            col(Subscription.application_id).label("app_id"),
            sa.func.sum(sa.case((current, annual_cost_expr() * rate), else_=0)).label("cost"),
            sa.func.sum(sa.case((current, col(Subscription.seats)), else_=0)).label("seats"),
            sa.func.min(
                sa.case(
                    (col(Subscription.renewal_date) >= today, col(Subscription.renewal_date)),
                    else_=None,
                )
            ).label("next_renewal"),
        )
        .group_by(col(Subscription.application_id))
        .subquery("contracts")
    )


def _per_app(values: dict[int, int]) -> Any:
    """A SQL expression: the value of each application's id in ``values`` (0 when absent)."""
    whens = {app_id: v for app_id, v in values.items() if v}
    if not whens:
        return sa.literal(0)
    return sa.case(whens, value=col(Application.id), else_=0)


PAID = sa.or_(col(Product.list_price).is_(None), col(Product.list_price) != 0)
"""Products that are not free SKUs (list price 0): only they count as seats bought."""


def _bought_summary() -> Any:
    return (
        sa.select(
            col(Product.application_id).label("app_id"),
            sa.func.sum(col(Product.seats_purchased)).label("bought"),
        )
        .where(col(Product.removed_at).is_(None), PAID)
        .group_by(col(Product.application_id))
        .subquery("bought")
    )


def seats_bought_expr(bought: Any, contract_seats: Any) -> Any:
    """An application's seats bought: what its vendor reports for its live paid products,
    else the seats of its contracts in force (many vendors report no count), else 0.

    One definition for every page that shows seats bought (the Applications list and the
    dashboard's total, which links to it), so the two always agree.
    """
    return sa.func.coalesce(bought, contract_seats, 0)


def total_seats_bought(*, session: Session, today: date) -> int:
    """Seats bought across every application (:func:`seats_bought_expr`), summed."""
    bought = _bought_summary()
    contracts = (
        sa.select(
            col(Subscription.application_id).label("app_id"),
            sa.func.sum(col(Subscription.seats)).label("seats"),
        )
        .where(_current_contract(today))
        .group_by(col(Subscription.application_id))
        .subquery("contracts")
    )
    total = session.execute(
        sa.select(sa.func.sum(seats_bought_expr(bought.c.bought, contracts.c.seats)))
        .select_from(Application)
        .outerjoin(contracts, contracts.c.app_id == col(Application.id))
        .outerjoin(bought, bought.c.app_id == col(Application.id))
    ).scalar_one()
    return int(total or 0)


def application_rows(
    *,
    session: Session,
    currency: str,
    today: date,
    search: str = "",
    category: str = "",
    sort: str = "app",
    limit: int = 50,
    offset: int = 0,
    application_id: int | None = None,
    cache: ReadCache | None = None,
) -> Page:
    """Applications with seats bought/assigned/active, annual cost and next renewal.

    Seats held come from ``application_seats`` (one grouped count of the assignments,
    kept in ``cache`` while the inventory is unchanged) as per-application literals, so
    sorting and paging stay in SQL without re-counting a million seats per request.
    """
    contracts = _contract_summary(session=session, currency=currency, today=today)
    seat_counts = application_seats(session=session, today=today, cache=cache)
    if application_id is not None:
        seat_counts = {k: v for k, v in seat_counts.items() if k == application_id}
    bought = _bought_summary()
    bought_col = seats_bought_expr(bought.c.bought, contracts.c.seats)
    active_col = _per_app({k: v[1] for k, v in seat_counts.items()})
    cost_col = contracts.c.cost
    columns = {
        "id": col(Application.id),
        "name": col(Application.name),
        "vendor": col(Vendor.name),
        "category": col(Application.category),
        "owner": col(Application.owner_email),
        "bought": bought_col,
        "assigned": _per_app({k: v[0] for k, v in seat_counts.items()}),
        "active": active_col,
        "annual_cost": cost_col,
        "cost_per_active": cost_col / sa.func.nullif(active_col, 0),
        "next_renewal": contracts.c.next_renewal,
    }
    filters: list[Any] = []
    if application_id is not None:
        filters.append(col(Application.id) == application_id)
    matches = contains_text(search, col(Application.name), col(Vendor.name))
    if matches is not None:
        filters.append(matches)
    if category:
        filters.append(col(Application.category) == category)
    query = (
        sa.select(*[c.label(k) for k, c in columns.items()])
        .select_from(Application)
        .outerjoin(Vendor, col(Vendor.id) == col(Application.vendor_id))
        .outerjoin(contracts, contracts.c.app_id == col(Application.id))
        .outerjoin(bought, bought.c.app_id == col(Application.id))
        .where(*filters)
    )
    # Counting needs the filters only, not the per-application figures.
    total = session.execute(
        sa.select(sa.func.count())
        .select_from(Application)
        .outerjoin(Vendor, col(Vendor.id) == col(Application.vendor_id))
        .where(*filters)
    ).scalar_one()
    key = sort.lstrip("-")
    order_col = columns[SORTS.get(key, "name")]
    ordered = order_col.desc() if sort.startswith("-") else order_col.asc()
    rows = session.execute(
        query.order_by(ordered.nulls_last(), col(Application.name)).limit(limit).offset(offset)
    ).mappings()
    return Page([dict(r) for r in rows], int(total), limit, offset)


def categories(*, session: Session) -> list[str]:
    """Every application category in use."""
    rows = session.execute(
        sa.select(col(Application.category))
        .where(col(Application.category).is_not(None))
        .distinct()
        .order_by(col(Application.category))
    ).all()
    return [r[0] for r in rows]


def application_summary(
    *,
    session: Session,
    application_id: int,
    currency: str,
    today: date,
    cache: ReadCache | None = None,
) -> dict[str, Any]:
    """One application's row of the applications table, or NotFound."""
    page = application_rows(
        session=session,
        currency=currency,
        today=today,
        application_id=application_id,
        cache=cache,
    )
    if not page.items:
        raise NotFoundError(f"no application with id {application_id}")
    return page.items[0]


def application_names(*, session: Session) -> list[tuple[int, str]]:
    """Every application's id and name, for pickers."""
    rows = session.execute(
        sa.select(col(Application.id), col(Application.name)).order_by(col(Application.name))
    ).all()
    return [(int(i), str(n)) for i, n in rows]
