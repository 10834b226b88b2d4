"""The figures a renewal e-mail shows for one contract, read from the database.

Rules (each is what the e-mail states, so a reader can check it):

* **seats bought** — the contract's ``seats``.
* **seats assigned** — active assignments (not removed) of the contract's product; when
  the contract names no product, of every product of its application; when it names
  one the inventory does not hold yet, none (no usage data).
* **active (30 days)** — those assignments whose account (not removed) was last active
  within 30 days of now, as ``inventory products`` counts (``active_since``; for an
  ``as_of`` more than a day away, within 30 days of that day's end).
* **annual cost** — ``total_cost`` (the price of one billing cycle) * 12 / cycle months;
  without a total, ``unit_price * seats * 12 / cycle months``. Unknown cycle: none.
* **cost per active user** — annual cost / active seats (none when nobody is active).
* **recommended seats** — active seats + a 10 % buffer, rounded up, never above the
  seats bought (a renewal is where you shrink, not grow); none without usage data
  (no product linked and no assignments).
* **usage data** — there is none when the contract names no product and nobody holds a
  seat of its application: no connector reports it. The seat figures are then unknown,
  never zero.
* **inventory synced** — when the seat figures were last brought up to date: the latest
  successful sync of the connector owning the product (of the oldest of them, for a
  contract covering several products); *stale* when more than ``STALE_SYNC_DAYS`` (3)
  days before the day, or never.
* **shared with** — other contracts on the same product still running on the day
  (no end date, or one not before it). The seat figures above are the product's, so
  they then count the seats of all these contracts together; the e-mail says so, with
  each contract's seats, rather than let a reader take them for this contract's alone.
  The cost and the recommendation are then the group's too, never one contract's cost
  over the whole product's users:

  * **group annual cost** — the annual costs of all these contracts, converted to this
    contract's currency at the stored FX rates of the day (``app.spend.fx.RatesOfDay``);
    none when a contract's cost is unknown or a rate is missing (``group_cost_note``
    says which).
  * **cost per active user** — group annual cost / the product's active seats.
  * **recommended for the product** — active + 10 %, rounded up, at most the seats the
    contracts buy together: one figure for the product. **Recommended seats** is then
    this contract's share of it, in proportion to the seats each contract buys
    (largest remainder, so the shares add up to the product's figure); none when a
    contract's seats are unknown.

:func:`contract_figures_many` reads each kind of figure once for all the contracts it is
given (seats grouped by product, the products' connectors and latest syncs, the running
contracts of the products, FX rates once per currency): the renewals page shows hundreds
of contracts, whose products may hold 100,000 seats each. One contract's figures
(:func:`contract_figures`) are the same reading for a list of one, so the page, the API
and the e-mails cannot disagree.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.inventory.models import Product, Subscription
from app.inventory.seat_counts import NO_ACTIVITY_DATA, active_since
from app.people.models import Account, Assignment
from app.spend.fx import RatesOfDay
from app.sync.models import ConnectorConfig, SyncRun

CYCLE_MONTHS = {"monthly": 1, "quarterly": 3, "annual": 12, "biennial": 24, "triennial": 36}
BUFFER = Decimal("0.10")
CENT = Decimal("0.01")
STALE_SYNC_DAYS = 3
SUCCEEDED = "succeeded"


@dataclass(frozen=True)
class InventorySync:
    """When the inventory behind a contract's seat figures was last synced."""

    source: str
    """The connector (the one synced longest ago, when several own the products)."""
    synced_at: datetime | None
    """Its latest successful sync's end (None: never synced successfully)."""
    days_ago: int | None
    stale: bool


@dataclass
class ContractFigures:
    """Seats and cost of one contract as of a day."""

    seats_bought: int | None
    seats_assigned: int
    seats_active: int
    has_usage: bool
    annual_cost: Decimal | None
    cost_per_active_user: Decimal | None
    recommended_seats: int | None
    currency: str
    seats_activity_unknown: int = 0
    """Assigned seats whose holder's source reports no sign-in data: never counted active,
    so the e-mails say the active figures undercount rather than suggest cutting them."""
    shared_with: list[tuple[str, int | None]] = field(default_factory=list)
    """Other running contracts on the same product: (contract number, seats)."""
    sync: InventorySync | None = None
    """When the seat figures were synced (None: no connector owns the products)."""
    group_annual_cost: Decimal | None = None
    """Shared product: the annual cost of all its running contracts, in ``currency``."""
    group_cost_note: str | None = None
    """Shared product: why the group's annual cost is unknown (None when known)."""
    recommended_for_product: int | None = None
    """Shared product: the one recommendation for all its contracts together;
    ``recommended_seats`` is this contract's share of it."""

    @property
    def shared_seats_bought(self) -> int | None:
        """Seats bought by this contract and those it shares the product with (None: unknown)."""
        seats = [self.seats_bought, *(n for _, n in self.shared_with)]
        return None if any(n is None for n in seats) else sum(n for n in seats if n is not None)


def annual_cost(subscription: Subscription) -> Decimal | None:
    """The contract's cost for twelve months (see the module rules)."""
    months = CYCLE_MONTHS.get((subscription.billing_cycle or "").strip().lower())
    if months is None:
        return None
    if subscription.total_cost is not None:
        return (Decimal(subscription.total_cost) * 12 / months).quantize(CENT)
    if subscription.unit_price is not None and subscription.seats is not None:
        per_cycle = Decimal(subscription.unit_price) * subscription.seats
        return (per_cycle * 12 / months).quantize(CENT)
    return None


def recommended_seats(*, active: int, bought: int | None) -> int:
    """Active seats plus a 10 % buffer, rounded up, capped at the seats bought."""
    wanted = math.ceil(Decimal(active) * (1 + BUFFER))
    return min(wanted, bought) if bought is not None else wanted


def proportional_shares(total: int, weights: list[int]) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainder; ties to the first)."""
    whole = sum(weights)
    if whole <= 0:
        return [0 for _ in weights]
    exact = [Decimal(total) * w / whole for w in weights]
    shares = [int(x) for x in exact]
    left = total - sum(shares)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in by_remainder[:left]:
        shares[i] += 1
    return shares


def group_annual_cost(
    *,
    session: Session,
    contracts: list[Subscription],
    currency: str,
    as_of: date,
    rates: RatesOfDay | None = None,
) -> tuple[Decimal | None, str | None]:
    """The contracts' annual costs added up in ``currency``, or None and the reason
    (``rates``: those of ``currency`` on ``as_of`` already read, for many contracts)."""
    amounts: dict[str, Decimal] = {}
    unknown = []
    for contract in contracts:
        cost = annual_cost(contract)
        if cost is None:
            unknown.append(contract.contract_number)
        else:
            amounts[contract.currency] = amounts.get(contract.currency, Decimal(0)) + cost
    if unknown:
        return None, f"no annual cost known for {', '.join(unknown)}"
    if rates is None:
        rates = RatesOfDay(session=session, currency=currency, day=as_of)
    converted = rates.add_up(amounts)
    if converted.missing:
        pairs = ", ".join(f"{code}→{currency}" for code in converted.missing)
        return None, f"no FX rate {pairs} on or before {as_of.isoformat()}"
    return converted.total.quantize(CENT), None


def per_active(cost: Decimal | None, active: int) -> Decimal | None:
    """Cost per active seat (None: cost unknown or nobody active)."""
    return (cost / active).quantize(CENT) if cost is not None and active > 0 else None


def share_with_group(
    session: Session,
    figures: ContractFigures,
    group: list[Subscription],
    as_of: date,
    rates: RatesOfDay | None = None,
) -> None:
    """Cost per active user and recommendation of a product several contracts share
    (``group`` starts with the contract itself): see the module rules."""
    figures.group_annual_cost, figures.group_cost_note = group_annual_cost(
        session=session, contracts=group, currency=figures.currency, as_of=as_of, rates=rates
    )
    figures.cost_per_active_user = per_active(figures.group_annual_cost, figures.seats_active)
    bought = figures.shared_seats_bought
    total = recommended_seats(active=figures.seats_active, bought=bought)
    figures.recommended_for_product = total
    if bought is None:
        figures.recommended_seats = None
        return
    # One order for every contract of the group, so their shares add up whichever is asked.
    ordered = sorted(group, key=lambda c: (c.contract_number, c.id or 0))
    shares = proportional_shares(total, [c.seats or 0 for c in ordered])
    figures.recommended_seats = shares[ordered.index(group[0])]


def _product_ids(session: Session, subscriptions: Sequence[Subscription]) -> dict[int, list[int]]:
    """Per contract, its product; every product of its application when it names none;
    none when it names one the inventory does not hold (yet): that contract is about
    that product, not its application's others (as the analytics read it)."""
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
        int(s.id or 0): [s.product_id]
        if s.product_id is not None
        else ([] if (s.product_ref or "").strip() else of_app[s.application_id])
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


def contract_figures(
    *, session: Session, subscription: Subscription, as_of: date
) -> ContractFigures:
    """Every figure a renewal alert shows for ``subscription`` as of ``as_of``."""
    return contract_figures_many(session=session, subscriptions=[subscription], as_of=as_of)[
        int(subscription.id or 0)
    ]


def seat_counts(*, session: Session, product_ids: list[int], as_of: date) -> tuple[int, int, int]:
    """(assigned, active within 30 days, activity unknown) seats of the products as of a day.

    *Activity unknown*: the holder's source reports no sign-in data (a Microsoft 365
    tenant without Entra ID P1), so the seat cannot count as active whatever its use.
    """
    counts = _seats(session, set(product_ids), as_of).values()
    return sum(c[0] for c in counts), sum(c[1] for c in counts), sum(c[2] for c in counts)
