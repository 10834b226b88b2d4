"""Build the analytics frames from the database with a few set-based queries.

Each frame is one SQLAlchemy Core select read by ``pandas.read_sql`` (no ORM objects
per row), so a million assignments load in seconds. Timestamps are read raw and parsed
by pandas in one vectorised pass instead of through the per-row type decorator.

Rules applied here, not in the analytics:

* removed accounts, removed assignments and removed products are left out;
* a person's ``idp_status`` is the state of their accounts in identity-provider
  connectors (config ``identity_provider: true``): ``deleted`` when any such account is
  deleted or no longer reported (removed), else ``suspended`` when any is suspended,
  else ``active``; None when the person has no identity-provider account;
* ``seats_purchased`` is the vendor's figure, else the seats of the product's pricing
  contract (linked to it, start <= today <= end, the latest start) — the same rule as
  ``app.inventory.service.effective_seats_purchased``;
* catalogue facts (capabilities, suite, list price, free SKUs) come from the catalogue
  with the users' corrections: a product's SKU is found by connector kind + external
  id, then by part number; its own ``list_price`` wins over the catalogue's.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, Select

from analytics.catalog import Catalog
from analytics.catalog.models import CatalogSku
from analytics.frames import Frames
from app.core.errors import DatabaseBusyError
from app.inventory.models import Application, Product, Subscription, Vendor
from app.people.models import Account, Assignment, Person
from app.sync.models import ConnectorConfig


def _table(model: Any) -> sa.Table:
    table: sa.Table = model.__table__
    return table


ACCOUNT = _table(Account)
ASSIGNMENT = _table(Assignment)
PERSON = _table(Person)
PRODUCT = _table(Product)
APPLICATION = _table(Application)
VENDOR = _table(Vendor)
SUBSCRIPTION = _table(Subscription)
CONNECTOR = _table(ConnectorConfig)

_LEAVER_RANK = {"active": 0, "suspended": 1, "deleted": 2}
_RANK_STATUS = {rank: status for status, rank in _LEAVER_RANK.items()}


def _read(session: Session, statement: Select[Any]) -> pd.DataFrame:
    """Run one select and return its rows as a frame (columns named by the select)."""
    return pd.read_sql(statement, session.connection())


def _read_raw(session: Session, statement: Select[Any]) -> pd.DataFrame:
    """Like ``_read`` for the big tables, taking the driver's rows without per-row processing.

    Only for columns whose raw driver values pandas reads correctly: integers, text,
    booleans (SQLite gives 0/1, coerced by the frame schema) and raw timestamps.
    """
    result = session.connection().execute(statement)
    try:
        columns = list(result.keys())
        rows = result.cursor.fetchall() if result.cursor is not None else []
    finally:
        result.close()
    return pd.DataFrame.from_records(rows, columns=columns)


def _raw(column: Any, name: str) -> ColumnElement[Any]:
    """Select a timestamp without the per-row decorator; pandas parses it in bulk."""
    return sa.type_coerce(column, sa.String()).label(name)


def _timestamps(frame: pd.DataFrame, *columns: str) -> None:
    for column in columns:
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")


def identity_provider_ids(session: Session) -> list[int]:
    """Return the connectors whose config says they are the identity provider."""
    rows = session.execute(sa.select(CONNECTOR.c.id, CONNECTOR.c.config)).all()
    return [
        int(i) for i, config in rows if isinstance(config, dict) and config.get("identity_provider")
    ]


def load_accounts(session: Session) -> pd.DataFrame:
    """Return current (not removed) accounts."""
    acc = ACCOUNT
    statement = (
        sa.select(
            acc.c.id.label("account_id"),
            acc.c.connector_id,
            CONNECTOR.c.kind.label("connector_kind"),
            acc.c.person_id,
            sa.func.coalesce(acc.c.email, PERSON.c.email).label("email"),
            sa.func.lower(acc.c.status).label("status"),
            acc.c.is_guest,
            _raw(acc.c.vendor_created_at, "created_at"),
            _raw(acc.c.first_seen_at, "first_seen_at"),
            _raw(acc.c.last_active_at, "last_active_at"),
            acc.c.activity_known,
        )
        .select_from(acc)
        .join(CONNECTOR, CONNECTOR.c.id == acc.c.connector_id)
        .outerjoin(PERSON, PERSON.c.id == acc.c.person_id)
        .where(acc.c.removed_at.is_(None))
    )
    frame = _read_raw(session, statement)
    _timestamps(frame, "created_at", "first_seen_at", "last_active_at")
    frame["removed"] = False
    return frame


def load_assignments(session: Session) -> pd.DataFrame:
    """Return current seats: assignments not removed, of accounts and products not removed."""
    asg = ASSIGNMENT
    acc = ACCOUNT
    prod = PRODUCT
    statement = (
        sa.select(asg.c.account_id, asg.c.product_id, _raw(asg.c.assigned_at, "assigned_at"))
        .select_from(asg)
        .join(acc, acc.c.id == asg.c.account_id)
        .join(prod, prod.c.id == asg.c.product_id)
        .where(asg.c.removed_at.is_(None), acc.c.removed_at.is_(None), prod.c.removed_at.is_(None))
    )
    frame = _read_raw(session, statement)
    _timestamps(frame, "assigned_at")
    return frame


def load_persons(session: Session) -> pd.DataFrame:
    """Return persons with the state of their identity-provider accounts."""
    per = PERSON
    frame = _read_raw(
        session,
        sa.select(
            per.c.id.label("person_id"),
            per.c.email,
            per.c.display_name,
            per.c.department,
            per.c.cost_centre,
        ),
    )
    idp_ids = identity_provider_ids(session)
    frame["idp_status"] = None
    if not idp_ids or frame.empty:
        return frame
    acc = ACCOUNT
    idp = _read_raw(
        session,
        sa.select(
            acc.c.person_id,
            sa.func.lower(acc.c.status).label("status"),
            acc.c.removed_at.is_not(None).label("removed"),
        ).where(acc.c.connector_id.in_(idp_ids), acc.c.person_id.is_not(None)),
    )
    if idp.empty:
        return frame
    rank = idp["status"].map(_LEAVER_RANK).fillna(0).astype(int)
    rank = rank.where(~idp["removed"].astype(bool), _LEAVER_RANK["deleted"])
    worst = rank.groupby(idp["person_id"].astype("int64")).max().map(_RANK_STATUS)
    frame["idp_status"] = frame["person_id"].map(worst).astype(object)
    frame["idp_status"] = frame["idp_status"].where(frame["idp_status"].notna(), None)
    return frame


def load_applications(session: Session, catalog: Catalog) -> pd.DataFrame:
    """Return applications with suite flag and capabilities from the catalogue."""
    app = APPLICATION
    frame = _read(
        session,
        sa.select(
            app.c.id.label("application_id"),
            app.c.name,
            VENDOR.c.name.label("vendor"),
            app.c.category,
            app.c.catalog_key,
        ).outerjoin(VENDOR, VENDOR.c.id == app.c.vendor_id),
    )
    entries = [catalog.app(k) if isinstance(k, str) else None for k in frame["catalog_key"]]
    frame["is_suite"] = [bool(e.is_suite) if e else False for e in entries]
    frame["capabilities"] = ["|".join(sorted(e.capabilities)) if e else None for e in entries]
    frame["category"] = [
        c if isinstance(c, str) and c else (e.category if e else None)
        for c, e in zip(frame["category"], entries, strict=True)
    ]
    return frame


def load_subscriptions(session: Session) -> pd.DataFrame:
    """Return every contract, with its vendor's name."""
    sub = SUBSCRIPTION
    frame = _read(
        session,
        sa.select(
            sub.c.id.label("subscription_id"),
            sub.c.contract_number,
            VENDOR.c.name.label("vendor"),
            sub.c.application_id,
            sub.c.product_id,
            sub.c.start_date,
            sub.c.end_date,
            sub.c.renewal_date,
            sub.c.auto_renew,
            sub.c.notice_days,
            sa.func.lower(sub.c.billing_cycle).label("billing_cycle"),
            sub.c.seats,
            sub.c.unit_price,
            sub.c.total_cost,
            sa.func.upper(sub.c.currency).label("currency"),
            sub.c.is_trial,
            sub.c.owner_email,
            sub.c.product_ref,
        ).outerjoin(VENDOR, VENDOR.c.id == sub.c.vendor_id),
    )
    for column in ("start_date", "end_date", "renewal_date"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def contract_seats(subscriptions: pd.DataFrame, today: date) -> dict[int, Any]:
    """Return, per product, the seats of its pricing contract (linked, active, latest start)."""
    day = pd.Timestamp(today)
    subs = subscriptions[
        subscriptions["product_id"].notna()
        & (subscriptions["start_date"] <= day)
        & (subscriptions["end_date"].isna() | (subscriptions["end_date"] >= day))
    ]
    if subs.empty:
        return {}
    latest = (
        subs.sort_values(["start_date", "subscription_id"])
        .groupby(subs["product_id"].astype("int64"))["seats"]
        .last()
    )
    return {
        int(str(pid)): (None if pd.isna(seats) else int(seats)) for pid, seats in latest.items()
    }


def _sku(catalog: Catalog, kind: Any, external_id: Any, part_number: Any) -> CatalogSku | None:
    sku = None
    if isinstance(kind, str) and isinstance(external_id, str):
        sku = catalog.sku_by_external_id(kind, external_id)
    if sku is None and isinstance(part_number, str) and part_number:
        sku = catalog.sku_by_part_number(part_number)
    return sku


def load_products(
    session: Session, catalog: Catalog, subscriptions: pd.DataFrame, today: date
) -> pd.DataFrame:
    """Return products not removed, with effective seats bought and catalogue facts."""
    prod = PRODUCT
    frame = _read(
        session,
        sa.select(
            prod.c.id.label("product_id"),
            prod.c.application_id,
            prod.c.external_id,
            prod.c.sku,
            prod.c.name,
            prod.c.seats_purchased,
            prod.c.seats_consumed,
            prod.c.list_price,
            sa.func.upper(prod.c.list_price_currency).label("list_currency"),
            CONNECTOR.c.kind.label("connector_kind"),
        )
        .outerjoin(CONNECTOR, CONNECTOR.c.id == prod.c.connector_id)
        .where(prod.c.removed_at.is_(None)),
    )
    seats = contract_seats(subscriptions, today)
    purchased = frame["seats_purchased"].astype("Int64")
    from_contract = frame["product_id"].map(seats).astype("Int64")
    frame["seats_purchased"] = purchased.fillna(from_contract)
    skus = [
        _sku(catalog, k, e, p)
        for k, e, p in zip(frame["connector_kind"], frame["external_id"], frame["sku"], strict=True)
    ]
    own_price = frame["list_price"].astype(object).tolist()
    own_currency = frame["list_currency"].astype(object).tolist()
    prices: list[Any] = []
    currencies: list[Any] = []
    for price, currency, sku in zip(own_price, own_currency, skus, strict=True):
        if price is not None and price == price:
            prices.append(price)
            currencies.append(currency if isinstance(currency, str) else None)
        elif sku is not None and sku.list_price is not None:
            prices.append(sku.list_price)
            currencies.append(sku.currency)
        else:
            prices.append(None)
            currencies.append(None)
    frame["list_price"] = pd.Series(prices, index=frame.index, dtype=object)
    frame["list_currency"] = pd.Series(currencies, index=frame.index, dtype=object)
    frame["catalog_capabilities"] = [
        "|".join(sorted(s.capabilities)) if s is not None and s.capabilities else None for s in skus
    ]
    frame["is_free"] = [bool(s.is_free) if s is not None else False for s in skus]
    return frame.drop(columns=["connector_kind"])


LOAD_ATTEMPTS = 3
"""Reads of the inventory before an analysis gives up on one that syncs keep changing."""


def _inventory_generation(session: Session) -> tuple[int, int | None]:
    """What changes exactly when a sync's changes commit (or a connector is removed).

    A sync marks its run succeeded in the transaction that applies it, so the count and
    the latest id of succeeded runs move with every applied sync.
    """
    row = session.execute(
        sa.text("SELECT COUNT(*), MAX(id) FROM sync_run WHERE status = 'succeeded'")
    ).one()
    return int(row[0]), row[1]


def load_frames(*, session: Session, today: date, catalog: Catalog) -> Frames:
    """Read the whole inventory as the six validated analytics frames, as of one moment.

    The frames are read statement by statement, and each statement sees what was
    committed before it (PostgreSQL's READ COMMITTED, SQLite outside a write): a sync
    committing in between left seats of accounts the frames did not hold, and the
    analysis resolved findings still true, dismissed ones included (which came back
    open the run after, their dismissal lost). So the inventory is read again while a
    sync's changes arrived during the read.

    Raises:
        DatabaseBusyError: Syncs committed during each of :data:`LOAD_ATTEMPTS` reads.
    """
    for _ in range(LOAD_ATTEMPTS):
        before = _inventory_generation(session)
        frames = _read_frames(session, today, catalog)
        if _inventory_generation(session) == before:
            return frames
    raise DatabaseBusyError(
        f"syncs changed the inventory while it was read, {LOAD_ATTEMPTS} times running; "
        "the analysis changed nothing: run it again when they have finished"
    )


def _read_frames(session: Session, today: date, catalog: Catalog) -> Frames:
    subscriptions = load_subscriptions(session)
    return Frames(
        accounts=load_accounts(session),
        persons=load_persons(session),
        assignments=load_assignments(session),
        products=load_products(session, catalog, subscriptions, today),
        applications=load_applications(session, catalog),
        subscriptions=subscriptions,
    )
