"""The figures of many contracts at once (``contract_figures`` of each, in a few queries).

The renewals page and ``GET /api/v1/renewals`` show the figures of every upcoming
renewal. Asked one contract at a time, that is four or five queries per contract — over
a thousand for a few hundred contracts, each counting the seats of a product that may
hold 100,000. Here each kind of figure is read once for all the contracts (seats grouped
by product, the products' connectors and their latest syncs, the running contracts of
the products, FX rates once per currency) and then put together by the same rules, so
the figures are those :func:`app.notify.figures.contract_figures` gives, contract by
contract.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.inventory.models import Product, Subscription
from app.inventory.seat_counts import NO_ACTIVITY_DATA, active_since
from app.notify.figures import (
    STALE_SYNC_DAYS,
    SUCCEEDED,
    ContractFigures,
    InventorySync,
    annual_cost,
    per_active,
    recommended_seats,
    share_with_group,
)
from app.people.models import Account, Assignment
from app.spend.fx import RatesOfDay
from app.sync.models import ConnectorConfig, SyncRun


def _product_ids(session: Session, subscriptions: Sequence[Subscription]) -> dict[int, list[int]]:
    """Per contract, its product, or every product of its application when it names none."""
    apps = {s.application_id for s in subscriptions if s.product_id is None}
    of_app: dict[int, list[int]] = defaultdict(list)
    if apps:
        rows = session.exec(
            select(col(Product.application_id), col(Product.id)).where(
                col(Product.application_id).in_(apps)
            )
        )
        for app_id, product_id in rows:
            if product_id is not None:
                of_app[app_id].append(product_id)
    return {
        int(s.id or 0): [s.product_id] if s.product_id is not None else of_app[s.application_id]
        for s in subscriptions
    }


def _seats(session: Session, product_ids: set[int], as_of: date) -> dict[int, tuple[int, int, int]]:
    """Per product: (assigned, active within 30 days, activity unknown), as ``seat_counts``."""
    if not product_ids:
        return {}
    active_expr = sa.case((col(Account.last_active_at) >= active_since(as_of), 1), else_=0)
    rows = session.exec(
        select(
            col(Assignment.product_id),
            sa.func.count(col(Assignment.id)),
            sa.func.coalesce(sa.func.sum(active_expr), 0),
            sa.func.coalesce(sa.func.sum(NO_ACTIVITY_DATA), 0),
        )
        .join(Account, col(Account.id) == col(Assignment.account_id))
        .where(
            col(Assignment.product_id).in_(product_ids),
            col(Assignment.removed_at).is_(None),
            col(Account.removed_at).is_(None),
        )
        .group_by(col(Assignment.product_id))
    ).all()
    return {int(p): (int(n), int(a), int(u)) for p, n, a, u in rows}


def _syncs(session: Session, product_ids: set[int]) -> dict[int, tuple[str, datetime | None]]:
    """Per product owned by a connector: that connector's name and latest successful sync."""
    if not product_ids:
        return {}
    succeeded = sa.and_(
        col(SyncRun.connector_id) == col(ConnectorConfig.id), col(SyncRun.status) == SUCCEEDED
    )
    latest = dict(
        session.exec(
            select(col(ConnectorConfig.id), sa.func.max(col(SyncRun.finished_at)))
            .outerjoin(SyncRun, succeeded)
            .group_by(col(ConnectorConfig.id))
        ).all()
    )
    names = dict(session.exec(select(col(ConnectorConfig.id), col(ConnectorConfig.name))).all())
    owners = session.exec(
        select(col(Product.id), col(Product.connector_id)).where(
            col(Product.id).in_(product_ids), col(Product.connector_id).is_not(None)
        )
    ).all()
    return {p: (names[c], latest.get(c)) for p, c in owners if p is not None and c in names}


def _running(session: Session, product_ids: set[int], as_of: date) -> dict[int, list[Subscription]]:
    """Per product: the contracts on it still running on ``as_of``, by number."""
    if not product_ids:
        return {}
    rows = session.exec(
        select(Subscription)
        .where(
            col(Subscription.product_id).in_(product_ids),
            sa.or_(col(Subscription.end_date).is_(None), col(Subscription.end_date) >= as_of),
        )
        .order_by(col(Subscription.contract_number), col(Subscription.id))
    )
    running: dict[int, list[Subscription]] = defaultdict(list)
    for sub in rows:
        running[int(sub.product_id or 0)].append(sub)
    return running


def contract_figures_many(
    *, session: Session, subscriptions: Sequence[Subscription], as_of: date
) -> dict[int, ContractFigures]:
    """Every figure a renewal alert shows, per contract id, as of ``as_of``."""
    product_ids = _product_ids(session, subscriptions)
    every = {p for ids in product_ids.values() for p in ids}
    seats = _seats(session, every, as_of)
    syncs = _syncs(session, every)
    running = _running(session, {s.product_id for s in subscriptions if s.product_id}, as_of)
    rates: dict[str, RatesOfDay] = {}
    figures = {}
    for sub in subscriptions:
        ids = product_ids[int(sub.id or 0)]
        counts = [seats.get(p, (0, 0, 0)) for p in ids]
        assigned, active, unknown = (sum(c[i] for c in counts) for i in range(3))
        has_usage = sub.product_id is not None or assigned > 0
        cost = annual_cost(sub)
        others = [o for o in running.get(sub.product_id or 0, []) if o.id != sub.id]
        owned = {syncs[p] for p in ids if p in syncs}
        one = ContractFigures(
            seats_bought=sub.seats,
            seats_assigned=assigned,
            seats_active=active,
            seats_activity_unknown=unknown,
            has_usage=has_usage,
            annual_cost=cost,
            cost_per_active_user=None,
            recommended_seats=(
                recommended_seats(active=active, bought=sub.seats) if has_usage else None
            ),
            currency=sub.currency,
            shared_with=[(o.contract_number, o.seats) for o in others],
            sync=_oldest(owned, as_of),
        )
        if others:
            day_rates = rates.setdefault(
                sub.currency, RatesOfDay(session=session, currency=sub.currency, day=as_of)
            )
            share_with_group(session, one, [sub, *others], as_of, rates=day_rates)
        else:
            one.cost_per_active_user = per_active(cost, active)
        figures[int(sub.id or 0)] = one
    return figures


def _oldest(owned: set[tuple[str, datetime | None]], as_of: date) -> InventorySync | None:
    """The connector synced longest ago (never first), as ``inventory_sync`` picks it."""
    if not owned:
        return None
    name, at = min(owned, key=lambda r: (r[1] is not None, r[1] or datetime.min, r[0]))
    days = None if at is None else (as_of - at.date()).days
    return InventorySync(name, at, days, days is None or days > STALE_SYNC_DAYS)
