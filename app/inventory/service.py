"""Vendors and applications: one row per real-world vendor and app, matched through the catalogue.

Every path that creates applications (sync, contract import, the UI) goes through
:func:`resolve_application`, so "Office 365", "Microsoft 365" and the E3 SKU land on the
same application.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import case, func
from sqlmodel import Session, col, select

from app.core.db import lock_patience, same_name
from app.core.errors import (
    RETRIED_SQLSTATES,
    DatabaseBusyError,
    DeadlockError,
    NotFoundError,
    check_choice,
)
from app.core.leader import SCHEMA_LOCK_KEY
from app.inventory.models import Application, Product, Subscription, Vendor

CREATION_WAIT_SECONDS = 30.0
"""How long a transaction waits for another that is creating the same vendor or
application (a sync, an import) before it gives up."""
CREATION_LOCK = "seatwise-catalogue"
"""What the PostgreSQL advisory lock of a name being created is named after."""


def _creating(session: Session, kind: str, name: str) -> None:
    """Wait until no other transaction can be creating the ``kind`` named ``name``; then look again.

    Not finding a name is not enough to create it: a sync or an import may be creating
    the same one and not have committed yet. Creating it too then failed one of them on
    the unique name (a whole sync lost to a contract upload), or, for the same name in
    another case, silently made a second vendor. PostgreSQL: an advisory lock of this
    transaction per kind and case-folded name, so only creators of the same name queue,
    up to :data:`CREATION_WAIT_SECONDS`; a vendor's lock is always taken before its
    applications', and a cycle PostgreSQL still finds ends one of the two. SQLite: the
    database's one write lock, taken by a write that changes nothing; once it is held,
    nobody else can commit, and what the caller reads next is current.

    Raises:
        DatabaseBusyError: The other transaction did not finish in time, or waited for
            this one.
    """
    conn = session.connection()
    try:
        with lock_patience(conn, CREATION_WAIT_SECONDS):
            if conn.dialect.name != "postgresql":
                conn.exec_driver_sql("UPDATE vendor SET id = id WHERE 0")
            else:
                conn.execute(
                    sa.text(f"SELECT pg_advisory_xact_lock({SCHEMA_LOCK_KEY})"),
                    {"name": f"{CREATION_LOCK}:{kind}:{name.casefold()}"},
                )
    except sa.exc.OperationalError as exc:  # lock timeout or deadlock (the transaction is over)
        busy: type[DatabaseBusyError] = DatabaseBusyError
        why = f"kept it waiting for more than {CREATION_WAIT_SECONDS:.0f} s"
        if getattr(exc.orig, "sqlstate", None) in RETRIED_SQLSTATES:
            busy, why = DeadlockError, "was waiting for names this one had created (a deadlock)"
        raise busy(
            f"{kind} {name!r} was being created by another change (a sync or an import), "
            f"which {why}; nothing was saved: try again when it has finished"
        ) from exc


def resolve_vendor(*, session: Session, name: str) -> Vendor:
    """Find a vendor by name (case-insensitive) or create it."""
    clean = " ".join(name.split())
    vendor = _vendor_named(session, clean)
    if vendor is None:
        _creating(session, "vendor", clean)
        vendor = _vendor_named(session, clean)
    if vendor is None:
        vendor = Vendor(name=clean)
        session.add(vendor)
        session.flush()
    return vendor


def _vendor_named(session: Session, name: str) -> Vendor | None:
    return session.exec(select(Vendor).where(same_name(Vendor.name, name))).first()


def resolve_application(
    *, session: Session, name: str, vendor_name: str | None = None, catalog_key: str | None = None
) -> Application:
    """Find the application a name (or catalogue key) stands for, or create it.

    Order: the catalogue key (given, or found from the name or an alias), then the exact
    name case-insensitively. A new application takes the catalogue's name, vendor and
    category when the catalogue knows it.

    A ``catalog_key`` the catalogue knows decides alone: ``name`` is then only what an
    unknown key falls back to (a sync passes "Microsoft 365" for every Microsoft SKU), and
    matching it would file Visio under Microsoft 365 whenever that application happened
    to exist before Visio's.
    """
    from analytics.catalog import load_catalog

    catalog = load_catalog()
    entry = catalog.app(catalog_key) if catalog_key else catalog.find_app(name)
    if entry is not None and catalog_key:
        name = entry.name
    clean = " ".join(name.split())
    app_name = entry.name if entry is not None else clean
    found = _find_application(session, entry, clean, app_name)
    if found is not None:
        return found
    vendor_name = vendor_name or (entry.vendor if entry is not None else clean)
    _creating(session, "vendor", " ".join(vendor_name.split()))  # first: see _creating
    _creating(session, "application", app_name)
    found = _find_application(session, entry, clean, app_name)
    if found is not None:
        return found
    vendor = resolve_vendor(session=session, name=vendor_name)
    application = Application(
        name=app_name,
        vendor_id=vendor.id,
        category=entry.category if entry is not None else None,
        catalog_key=entry.key if entry is not None else None,
    )
    session.add(application)
    session.flush()
    return application


def _find_application(
    session: Session, entry: Any, clean: str, app_name: str
) -> Application | None:
    """The application of a catalogue entry, else named ``clean``, else ``app_name``."""
    if entry is not None:
        found = session.exec(
            select(Application).where(Application.catalog_key == entry.key)
        ).first()
        if found is not None:
            return found
    found = session.exec(select(Application).where(same_name(Application.name, clean))).first()
    if found is not None:
        if found.catalog_key is None and entry is not None:
            found.catalog_key = entry.key
        return found
    return session.exec(select(Application).where(same_name(Application.name, app_name))).first()


def _pricing(product_ids: list[int], today: date) -> Any:
    """Contracts pricing the products on ``today``, each product's latest start first."""
    return (
        select(Subscription)
        .where(col(Subscription.product_id).in_(product_ids))
        .where(col(Subscription.start_date) <= today)
        .where((col(Subscription.end_date).is_(None)) | (col(Subscription.end_date) >= today))
        .order_by(col(Subscription.start_date).desc(), col(Subscription.id).desc())
    )


def pricing_contract(*, session: Session, product_id: int, today: date) -> Subscription | None:
    """The contract that prices a product: linked, start ≤ today ≤ end, the latest start."""
    found: Subscription | None = session.exec(_pricing([product_id], today)).first()
    return found


def pricing_seats(
    *, session: Session, product_ids: list[int], today: date
) -> dict[int, int | None]:
    """Per product with a :func:`pricing_contract`, that contract's seats (one query)."""
    seats: dict[int, int | None] = {}
    if not product_ids:
        return seats
    for contract in session.exec(_pricing(product_ids, today)):
        seats.setdefault(int(contract.product_id or 0), contract.seats)
    return seats


def effective_seats_purchased(*, session: Session, product: Product, today: date) -> int | None:
    """Seats bought: the vendor's figure, else the pricing contract's seats, else None."""
    if product.seats_purchased is not None:
        return product.seats_purchased
    if product.id is None:
        return None
    contract = pricing_contract(session=session, product_id=product.id, today=today)
    return contract.seats if contract is not None else None


# --------------------------------------------------------------------------- inventory views
# (the synced inventory as `seatwise inventory …` and /api/v1/products|accounts show it)


def inventory_products(
    *,
    session: Session,
    today: date,
    now: datetime,
    active_days: int = 30,
    connector: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """Current synced products with seats bought, consumed, assigned and active; and the total.

    ``seats_purchased`` is the vendor's figure, else the pricing contract's seats, else
    None. ``seats_active`` counts current assignees whose account was active within
    ``active_days`` of ``now``; ``seats_activity_unknown`` those whose source reports no
    activity at all (a Microsoft 365 tenant without Entra ID P1), which ``seats_active``
    cannot count, so a reader knows its zero is not "nobody uses it".

    Raises:
        NotFoundError: ``connector`` names no connector.
    """
    from app.sync.models import ConnectorConfig

    query = (
        select(Product, ConnectorConfig.name)
        .join(ConnectorConfig, col(ConnectorConfig.id) == col(Product.connector_id))
        .where(col(Product.removed_at).is_(None))
    )
    if connector:
        query = query.where(col(Product.connector_id) == _connector_id(session, connector))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    query = query.order_by(col(ConnectorConfig.name), col(Product.name), col(Product.external_id))
    if limit is not None:
        query = query.limit(limit).offset(offset)
    rows = session.exec(query).all()
    seats = _seat_counts(
        session=session,
        product_ids=[p.id for p, _ in rows if p.id is not None],
        cutoff=now - timedelta(days=active_days),
    )
    # The vendor's figure, else the pricing contract's seats, read for the page at once.
    contract_seats = pricing_seats(
        session=session,
        product_ids=[p.id for p, _ in rows if p.id is not None and p.seats_purchased is None],
        today=today,
    )
    items = []
    for product, connector_name in rows:
        assigned, active, unknown = seats.get(product.id or 0, (0, 0, 0))
        items.append(
            {
                "connector": connector_name,
                "external_id": product.external_id,
                "sku": product.sku,
                "name": product.name,
                "seats_purchased": (
                    product.seats_purchased
                    if product.seats_purchased is not None
                    else contract_seats.get(product.id or 0)
                ),
                "seats_consumed": product.seats_consumed,
                "seats_assigned": assigned,
                "seats_active": active,
                "seats_activity_unknown": unknown,
                "status": product.status,
                "list_price": product.list_price,
                "list_price_currency": product.list_price_currency,
            }
        )
    return items, int(total)


def _seat_counts(
    *, session: Session, product_ids: list[int], cutoff: datetime
) -> dict[int, tuple[int, int, int]]:
    """Per product: current seats, seats active since ``cutoff``, seats without activity data."""
    from app.inventory.seat_counts import NO_ACTIVITY_DATA
    from app.people.models import Account, Assignment

    if not product_ids:
        return {}
    active = case((col(Account.last_active_at) >= cutoff, 1), else_=0)
    query = (
        select(
            Assignment.product_id,
            func.count(),
            func.coalesce(func.sum(active), 0),
            func.coalesce(func.sum(NO_ACTIVITY_DATA), 0),
        )
        .join(Account, col(Account.id) == col(Assignment.account_id))
        .where(col(Assignment.removed_at).is_(None))
        .where(col(Assignment.product_id).in_(product_ids))
        .group_by(col(Assignment.product_id))
    )
    return {pid: (int(n), int(a), int(u)) for pid, n, a, u in session.exec(query)}


def _connector_id(session: Session, name: str) -> int | None:
    """The id of the connector a filter names, in any case; NotFoundError naming it if none."""
    from app.sync.configs import get_connector_config

    return get_connector_config(session=session, name=name).id


def inventory_accounts(
    *,
    session: Session,
    connector: str | None = None,
    status: str | None = None,
    product: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """Current synced accounts with the product external ids they hold; and the total.

    ``product`` filters to holders of a current seat of that product external id.

    Raises:
        NotFoundError: ``connector`` names no connector, or ``product`` no product.
        InvalidInputError: ``status`` is none of the account statuses.
    """
    from app.people.models import Account, Assignment
    from app.people.service import ACCOUNT_STATUSES
    from app.sync.models import ConnectorConfig

    check_choice(status or None, ACCOUNT_STATUSES, "status")
    query = (
        select(Account, ConnectorConfig.name)
        .join(ConnectorConfig, col(ConnectorConfig.id) == col(Account.connector_id))
        .where(col(Account.removed_at).is_(None))
    )
    if connector:
        query = query.where(col(Account.connector_id) == _connector_id(session, connector))
    if status:
        query = query.where(Account.status == status)
    if product:
        known = select(Product.id).where(Product.external_id == product).limit(1)
        if session.exec(known).first() is None:
            raise NotFoundError(
                f"no product with external id {product!r}; the products: GET /api/v1/products "
                "or `seatwise inventory products`"
            )
        holders = (
            select(Assignment.account_id)
            .join(Product, col(Product.id) == col(Assignment.product_id))
            .where(Product.external_id == product, col(Assignment.removed_at).is_(None))
        )
        query = query.where(col(Account.id).in_(holders))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    query = query.order_by(col(ConnectorConfig.name), col(Account.email), col(Account.external_id))
    if limit is not None:
        query = query.limit(limit).offset(offset)
    rows = session.exec(query).all()
    held = products_held(session=session, account_ids=[a.id for a, _ in rows if a.id])
    items = [
        {
            "connector": connector_name,
            "external_id": account.external_id,
            "email": account.email,
            "display_name": account.display_name,
            "status": account.status,
            "is_guest": account.is_guest,
            "is_admin": account.is_admin,
            "department": account.department,
            "last_active_at": account.last_active_at,
            "activity_known": account.activity_known,
            "products": sorted(p for p, _ in held.get(account.id or 0, [])),
        }
        for account, connector_name in rows
    ]
    return items, int(total)


def products_held(
    *, session: Session, account_ids: list[int]
) -> dict[int, list[tuple[str, Product]]]:
    """Current seats by account id: (product external id, product), in batches of 5,000."""
    from app.people.models import Assignment

    out: dict[int, list[tuple[str, Product]]] = {}
    for start in range(0, len(account_ids), 5000):
        part = account_ids[start : start + 5000]
        query = (
            select(Assignment.account_id, Product)
            .join(Product, col(Product.id) == col(Assignment.product_id))
            .where(col(Assignment.account_id).in_(part), col(Assignment.removed_at).is_(None))
        )
        for account_id, product in session.exec(query):
            out.setdefault(account_id, []).append((product.external_id, product))
    return out
