"""Read-only queries behind one application's page: SKUs, contracts, seat history, holders."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from analytics.seats import LEAVER_STATUSES
from analytics.spend import month_index, month_label
from app.inventory.models import Product, Subscription
from app.inventory.seat_counts import ReadCache, active_since, cached, product_seats
from app.inventory.views import Page
from app.people.models import Account, Assignment, Person
from app.sync.models import ConnectorConfig
from app.usage.models import UsageDaily

HOLDER_FILTERS = ("all", "inactive", "never_used", "guests", "leavers", "free")
"""Which holders to list. Every filter but ``free`` lists paid seats of live products,
the seats the header's assigned and active figures count and the findings are about;
``free`` lists the free SKUs' holders (Power BI Standard, say), nothing to reclaim."""


def products_of(
    *, session: Session, application_id: int, today: date, cache: ReadCache | None = None
) -> list[dict[str, Any]]:
    """The application's SKUs with seats bought, assigned and active."""
    seats = product_seats(session=session, today=today, cache=cache)
    rows = session.execute(
        sa.select(
            col(Product.id),
            col(Product.name),
            col(Product.external_id),
            col(Product.sku),
            col(Product.status),
            col(Product.seats_purchased),
            col(Product.list_price),
            col(Product.list_price_currency),
            col(Product.removed_at),
        )
        .where(col(Product.application_id) == application_id)
        .order_by(col(Product.name))
    ).mappings()
    out = []
    for row in rows:
        counted = seats.get(int(row["id"]))
        out.append(
            {
                **row,
                "assigned": counted.assigned if counted else 0,
                "active": counted.active if counted else 0,
                "activity_unknown": counted.unknown if counted else 0,
            }
        )
    return out


def contracts_of(*, session: Session, application_id: int) -> list[Subscription]:
    """The application's contracts, latest first."""
    rows = session.execute(
        sa.select(Subscription)
        .where(col(Subscription.application_id) == application_id)
        .order_by(col(Subscription.start_date).desc())
    ).scalars()
    return list(rows)


def _month_end(index: int) -> datetime:
    """The first instant after month ``index``."""
    year, month0 = divmod(index + 1, 12)
    return datetime.combine(date(year, month0 + 1, 1), time.min, tzinfo=UTC)


def seat_history(
    *,
    session: Session,
    application_id: int,
    today: date,
    months: int = 12,
    cache: ReadCache | None = None,
) -> dict[str, list[Any]]:
    """Seats assigned at each month's end and accounts active in each month (last ``months``)."""
    return cached(
        cache,
        session=session,
        key=("seat_history", application_id, today, months),
        compute=lambda: _seat_history(
            session=session, application_id=application_id, today=today, months=months
        ),
    )


def _seat_history(
    *, session: Session, application_id: int, today: date, months: int
) -> dict[str, list[Any]]:
    last = month_index(today)
    span = list(range(last - months + 1, last + 1))
    since = col(Assignment.assigned_at)
    started = sa.func.coalesce(since, col(Assignment.first_seen_at))
    assigned_cols = []
    for m in span:
        end = _month_end(m)
        held = sa.and_(
            started < end,
            sa.or_(col(Assignment.removed_at).is_(None), col(Assignment.removed_at) >= end),
        )
        assigned_cols.append(sa.func.sum(sa.case((held, 1), else_=0)))
    assigned = session.execute(
        sa.select(*assigned_cols)
        .select_from(Assignment)
        .join(Product, col(Product.id) == col(Assignment.product_id))
        .where(col(Product.application_id) == application_id)
    ).one()
    active_cols = []
    for m in span:
        year, month0 = divmod(m, 12)
        first = date(year, month0 + 1, 1)
        month_stop = _month_end(m).date()
        in_month = sa.and_(col(UsageDaily.day) >= first, col(UsageDaily.day) < month_stop)
        active_cols.append(
            sa.func.count(sa.distinct(sa.case((in_month, col(UsageDaily.account_id)), else_=None)))
        )
    active = session.execute(
        sa.select(*active_cols)
        .select_from(UsageDaily)
        .join(Product, col(Product.id) == col(UsageDaily.product_id))
        .where(
            col(Product.application_id) == application_id,
            col(UsageDaily.day) >= _month_end(span[0] - 1).date(),
        )
    ).one()
    return {
        "months": [month_label(m) for m in span],
        "assigned": [int(v or 0) for v in assigned],
        "active": [int(v or 0) for v in active],
    }


def holders_of(
    *,
    session: Session,
    application_id: int,
    today: date,
    show: str = "all",
    limit: int = 50,
    offset: int = 0,
    cache: ReadCache | None = None,
) -> Page:
    """Who holds a seat of the application, with source, status and last activity.

    A page of the biggest application sorts a hundred thousand seats by last activity,
    so pages are kept in ``cache`` until the next sync changes the inventory.
    """
    return cached(
        cache,
        session=session,
        key=("holders", application_id, today, show, limit, offset),
        compute=lambda: _holders_of(
            session=session,
            products=_products_held(
                session, application_id, today, free=show == "free", cache=cache
            ),
            today=today,
            show=show,
            limit=limit,
            offset=offset,
        ),
    )


def _products_held(
    session: Session, application_id: int, today: date, *, free: bool, cache: ReadCache | None
) -> list[int]:
    """The application's live products, paid or free as the seat counts decide."""
    return sorted(
        product_id
        for product_id, seats in product_seats(session=session, today=today, cache=cache).items()
        if seats.application_id == application_id and seats.live and seats.free == free
    )


def _holders_of(
    *, session: Session, products: list[int], today: date, show: str, limit: int, offset: int
) -> Page:
    cutoff = active_since(today)
    query: Any = (
        sa.select(
            col(Account.email),
            col(Account.display_name),
            col(Account.status),
            col(Account.is_guest),
            col(Account.last_active_at),
            col(ConnectorConfig.name).label("source"),
            col(Product.name).label("product"),
            col(Person.id).label("person_id"),
            col(Person.status).label("person_status"),
            col(Assignment.assigned_at),
        )
        .select_from(Assignment)
        .join(Product, col(Product.id) == col(Assignment.product_id))
        .join(Account, col(Account.id) == col(Assignment.account_id))
        .join(ConnectorConfig, col(ConnectorConfig.id) == col(Account.connector_id))
        .outerjoin(Person, col(Person.id) == col(Account.person_id))
        .where(col(Assignment.product_id).in_(products), col(Assignment.removed_at).is_(None))
    )
    if show == "inactive":
        query = query.where(
            sa.or_(col(Account.last_active_at).is_(None), col(Account.last_active_at) < cutoff)
        )
    elif show == "never_used":
        query = query.where(col(Account.last_active_at).is_(None))
    elif show == "guests":
        query = query.where(col(Account.is_guest).is_(True))
    elif show == "leavers":  # as the leaver_seat findings see them
        query = query.where(
            sa.or_(
                col(Person.status) == "leaver",
                sa.func.lower(col(Account.status)).in_(LEAVER_STATUSES),
            )
        )
    total = session.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(
        query.order_by(col(Account.last_active_at).asc().nulls_first(), col(Account.email))
        .limit(limit)
        .offset(offset)
    ).mappings()
    return Page([dict(r) for r in rows], int(total), limit, offset)


def since_days(value: datetime | None, today: date) -> int | None:
    """Days since a time (None when never)."""
    if value is None:
        return None
    return (today - value.date()).days if value.date() <= today else 0
