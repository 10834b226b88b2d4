"""Read-only queries behind the people pages, paginated and aggregated in SQL."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from app.core.db import contains_text, get_row
from app.inventory.models import Application, Product
from app.inventory.views import Page, fx_case
from app.people.models import Account, Assignment, Person
from app.sync.models import ConnectorConfig

SORTS = {
    "email": "email",
    "name": "display_name",
    "department": "department",
    "accounts": "accounts",
    "licences": "licences",
    "cost": "monthly_cost",
}
AGGREGATES = ("accounts", "licences", "monthly_cost")


def people_rows(
    *,
    session: Session,
    currency: str,
    today: date,
    search: str = "",
    status: str = "",
    sort: str = "email",
    limit: int = 50,
    offset: int = 0,
) -> Page:
    """People with their number of accounts, licences and monthly cost at list price.

    The cost is in ``currency``: each list price converted at the rate of ``today`` (a
    price with no known rate counts 0, as on the dashboard), since catalogue prices come
    in the vendors' currencies and adding USD to EUR would mean nothing.
    """
    filters = []
    matches = contains_text(search, col(Person.email), col(Person.display_name))
    if matches is not None:
        filters.append(matches)
    if status:
        filters.append(col(Person.status) == status)
    key = SORTS.get(sort.lstrip("-"), "email")
    descending = sort.startswith("-")
    # Sorted by a column of the person, the page is chosen on the person table alone and
    # only its people's accounts and seats are added up (with 100,000 people, adding up
    # everyone's million seats to show fifty took a second). Sorted by an aggregate,
    # everyone's must be added up to know the order.
    chosen = None
    if key not in AGGREGATES:
        person_col = getattr(Person, key)
        chosen = (
            sa.select(col(Person.id))
            .where(*filters)
            .order_by(person_col.desc() if descending else person_col.asc(), col(Person.email))
            .limit(limit)
            .offset(offset)
            .scalar_subquery()
        )
    rate = fx_case(
        session=session, currency_col=col(Product.list_price_currency), target=currency, today=today
    )
    accounts: Any = (
        sa.select(col(Account.person_id).label("pid"), sa.func.count().label("n"))
        .where(col(Account.removed_at).is_(None), col(Account.person_id).is_not(None))
        .group_by(col(Account.person_id))
    )
    seats: Any = (
        sa.select(
            col(Account.person_id).label("pid"),
            sa.func.count().label("n"),
            sa.func.sum(sa.func.coalesce(col(Product.list_price), 0) * rate).label("cost"),
        )
        .select_from(Assignment)
        .join(Account, col(Account.id) == col(Assignment.account_id))
        .join(Product, col(Product.id) == col(Assignment.product_id))
        .where(col(Assignment.removed_at).is_(None), col(Account.person_id).is_not(None))
        .group_by(col(Account.person_id))
    )
    if chosen is not None:
        accounts = accounts.where(col(Account.person_id).in_(chosen))
        seats = seats.where(col(Account.person_id).in_(chosen))
    accounts_q, seats_q = accounts.subquery("accounts"), seats.subquery("seats")
    columns = {
        "id": col(Person.id),
        "email": col(Person.email),
        "display_name": col(Person.display_name),
        "department": col(Person.department),
        "status": col(Person.status),
        "accounts": sa.func.coalesce(accounts_q.c.n, 0),
        "licences": sa.func.coalesce(seats_q.c.n, 0),
        "monthly_cost": sa.func.coalesce(seats_q.c.cost, 0),
    }
    query: Any = (
        sa.select(*[c.label(k) for k, c in columns.items()])
        .select_from(Person)
        .outerjoin(accounts_q, accounts_q.c.pid == col(Person.id))
        .outerjoin(seats_q, seats_q.c.pid == col(Person.id))
    )
    counted = sa.select(sa.func.count()).select_from(Person).where(*filters)
    total = session.execute(counted).scalar_one()
    order = columns[key].desc() if descending else columns[key].asc()
    query = query.order_by(order, col(Person.email))
    if chosen is not None:
        query = query.where(col(Person.id).in_(chosen))
    else:
        query = query.where(*filters).limit(limit).offset(offset)
    rows = session.execute(query).mappings()
    return Page([dict(r) for r in rows], int(total), limit, offset)


def person_detail(*, session: Session, person_id: int) -> dict[str, Any]:
    """A person with each account (source, status) and each licence held."""
    person = get_row(session, Person, person_id, "person")
    accounts = session.execute(
        sa.select(Account, col(ConnectorConfig.name), col(ConnectorConfig.kind))
        .join(ConnectorConfig, col(ConnectorConfig.id) == col(Account.connector_id))
        .where(col(Account.person_id) == person_id)
        .order_by(col(ConnectorConfig.name))
    ).all()
    licences = session.execute(
        sa.select(
            col(Application.id).label("application_id"),
            col(Application.name).label("application"),
            col(Product.name).label("product"),
            col(Product.list_price),
            col(Product.list_price_currency),
            col(Account.email).label("account"),
            col(Account.last_active_at),
            col(Assignment.assigned_at),
        )
        .select_from(Assignment)
        .join(Account, col(Account.id) == col(Assignment.account_id))
        .join(Product, col(Product.id) == col(Assignment.product_id))
        .join(Application, col(Application.id) == col(Product.application_id))
        .where(col(Account.person_id) == person_id, col(Assignment.removed_at).is_(None))
        .order_by(col(Application.name))
    ).mappings()
    return {
        "person": person,
        "accounts": [{"account": a, "source": n, "kind": k} for a, n, k in accounts],
        "licences": [dict(r) for r in licences],
    }
