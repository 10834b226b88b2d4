"""Free-seat threshold alerts: one alert each time a product's free seats fall below it.

Free seats = seats bought - seats assigned, where *bought* is the product's
``seats_purchased`` as the vendor reports it (else the seats of the contracts naming the
product) and *assigned* is the vendor's ``seats_consumed`` (else the active assignments).
The threshold is the product's own (``free_seat_alert.threshold``), else
``SEATWISE_FREE_SEATS_THRESHOLD``; without either the product is not watched.

Once per crossing, not daily: the ``free_seat_alert`` row remembers that the product is
below. Going below flips ``below`` false → true with a conditional UPDATE (only one of
several concurrent runs can win it) and numbers the crossing; the alert's dedupe key
carries that number. Climbing back to the threshold or above clears ``below``, which
re-arms the alert for the next crossing. Recipients: the procurement list and every
active asset manager; without any, those an alert nobody else would get goes to (the
users with the procurement role, else the admins: ``app.notify.alerts``). With nobody
at all to tell, the crossing is not recorded, so the alert goes out on the first run
that has a recipient rather than being lost.

**Over-allocation** (more seats assigned than bought: free seats below zero) is not "few
free seats left" but a compliance exposure: the vendor bills the extra seats at its next
true-up or seat count. Its alert says so, with the cost when a contract naming the product
gives a price per seat (its ``unit_price``, else ``total_cost / seats``; the newest
contract by start date). A product already alerted for few free seats that then becomes
over-allocated gets this alert too, once in that crossing (dedupe key ``…:over:…``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from app.auth.models import User
from app.core.db import utcnow
from app.core.errors import InvalidInputError, NotFoundError
from app.core.security import Role
from app.core.settings import Settings
from app.inventory.models import Application, Product, Subscription
from app.notify.alerts import PlannedEmail, fallback_recipients, normalise, to_each
from app.notify.figures import CENT, CYCLE_MONTHS
from app.notify.models import FreeSeatAlert
from app.notify.render import render_email
from app.people.models import Assignment


@dataclass(frozen=True)
class SeatLevel:
    """A watched product's seats and threshold."""

    product: Product
    bought: int
    assigned: int
    threshold: int

    @property
    def free(self) -> int:
        """Seats bought but not assigned (below zero when over-allocated)."""
        return self.bought - self.assigned

    @property
    def over(self) -> int:
        """Seats assigned beyond those bought: what the vendor bills at its next count."""
        return max(self.assigned - self.bought, 0)


@dataclass(frozen=True)
class SeatPrice:
    """The price of one seat for one billing cycle, from a contract naming the product."""

    unit_price: Decimal
    currency: str
    billing_cycle: str

    def annual(self, seats: int) -> Decimal | None:
        """What ``seats`` seats cost for twelve months; None for an unknown billing cycle."""
        months = CYCLE_MONTHS.get(self.billing_cycle.strip().lower())
        if months is None:
            return None
        return (self.unit_price * seats * 12 / months).quantize(CENT)


def seat_price(*, session: Session, product_id: int) -> SeatPrice | None:
    """The price per seat of the newest contract naming the product that gives one."""
    contracts = session.exec(
        select(Subscription)
        .where(Subscription.product_id == product_id)
        .order_by(col(Subscription.start_date).desc(), col(Subscription.id).desc())
    )
    for contract in contracts:
        if contract.unit_price is not None:
            unit = Decimal(contract.unit_price)
        elif contract.total_cost is not None and contract.seats:
            unit = (Decimal(contract.total_cost) / contract.seats).quantize(CENT)
        else:
            continue
        return SeatPrice(unit, contract.currency, contract.billing_cycle or "")
    return None


def _states(session: Session) -> dict[int, FreeSeatAlert]:
    return {row.product_id: row for row in session.exec(select(FreeSeatAlert))}


def seat_levels(*, session: Session, settings: Settings) -> list[SeatLevel]:
    """Every watched product with its bought and assigned seats."""
    states = _states(session)
    products = session.exec(
        select(Product).where(col(Product.removed_at).is_(None)).order_by(col(Product.id))
    )
    levels: list[SeatLevel] = []
    for product in products:
        assert product.id is not None
        state = states.get(product.id)
        threshold = (
            state.threshold
            if state is not None and state.threshold is not None
            else settings.free_seats_threshold
        )
        if threshold is None:
            continue
        bought = product.seats_purchased
        if bought is None:
            seats = session.exec(
                select(sa.func.sum(col(Subscription.seats))).where(
                    Subscription.product_id == product.id
                )
            ).one()
            bought = int(seats) if seats is not None else None
        if bought is None:
            continue
        assigned = product.seats_consumed
        if assigned is None:
            assigned = int(
                session.exec(
                    select(sa.func.count(col(Assignment.id))).where(
                        Assignment.product_id == product.id, col(Assignment.removed_at).is_(None)
                    )
                ).one()
            )
        levels.append(SeatLevel(product, bought, assigned, threshold))
    return levels


def _recipients(session: Session, settings: Settings) -> list[str]:
    managers = session.exec(
        select(User.email).where(
            User.role == Role.asset_manager.value, col(User.is_active).is_(True)
        )
    )
    emails = [normalise(e) for e in [*settings.procurement_emails, *managers]]
    return list(dict.fromkeys(e for e in emails if e)) or fallback_recipients(session)


def _ensure_row(session: Session, product_id: int) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = FreeSeatAlert.__table__  # type: ignore[attr-defined]
    session.connection().execute(
        insert(table)
        .values(product_id=product_id, below=False, crossings=0, updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["product_id"])
    )


def _cross(session: Session, level: SeatLevel) -> int | None:
    """Mark the product below its threshold; the crossing number, or None when it was
    alerted already (below, and over-allocated already if it is now)."""
    assert level.product.id is not None
    _ensure_row(session, level.product.id)
    table = FreeSeatAlert.__table__  # type: ignore[attr-defined]
    due = table.c.below.is_(False)
    if level.over:
        # ``free_seats`` holds the level at the last alert: not yet over-allocated then.
        due = sa.or_(due, table.c.free_seats.is_(None), table.c.free_seats >= 0)
    row = (
        session.connection()
        .execute(
            sa.update(table)
            .where(table.c.product_id == level.product.id, due)
            .values(
                below=True,
                crossings=sa.case(
                    (table.c.below.is_(True), table.c.crossings), else_=table.c.crossings + 1
                ),
                free_seats=level.free,
                updated_at=utcnow(),
            )
            .returning(table.c.crossings)
        )
        .first()
    )
    return int(row.crossings) if row is not None else None


def _crossing_if_due(state: FreeSeatAlert | None, level: SeatLevel) -> int | None:
    """What :func:`_cross` would return, without writing (for a dry run)."""
    if state is None or not state.below:
        return (state.crossings if state else 0) + 1
    if level.over and (state.free_seats is None or state.free_seats >= 0):
        return state.crossings
    return None


def _rearm(session: Session, level: SeatLevel) -> None:
    table = FreeSeatAlert.__table__  # type: ignore[attr-defined]
    session.connection().execute(
        sa.update(table)
        .where(table.c.product_id == level.product.id, table.c.below.is_(True))
        .values(below=False, free_seats=level.free, updated_at=utcnow())
    )


def plan_free_seat_alerts(
    *, session: Session, settings: Settings, dry_run: bool = False
) -> list[PlannedEmail]:
    """Alerts for products whose free seats just fell below the threshold, or that just
    became over-allocated.

    Not a pure plan: unless ``dry_run``, it records the crossing state in the caller's
    transaction, so queueing the alerts and remembering them commit together.
    """
    states = _states(session)
    planned: list[PlannedEmail] = []
    recipients = _recipients(session, settings)
    base = settings.base_url.rstrip("/")
    for level in seat_levels(session=session, settings=settings):
        product = level.product
        assert product.id is not None
        state = states.get(product.id)
        if level.free >= level.threshold:
            if not dry_run:
                _rearm(session, level)
            continue
        if not recipients:
            continue  # not marked crossed: nobody would get it
        crossing = _crossing_if_due(state, level) if dry_run else _cross(session, level)
        if crossing is None:
            continue
        application = session.get(Application, product.application_id)
        app_name = application.name if application else ""
        context = {
            "product_name": product.name,
            "app_name": app_name,
            "seats_bought": level.bought,
            "seats_assigned": level.assigned,
            "free_seats": level.free,
            "over_by": level.over,
            "price": None,
            "over_cost": None,
            "threshold": level.threshold,
            "link": f"{base}/applications/{product.application_id}",
        }
        if level.over:
            price = seat_price(session=session, product_id=product.id)
            context["price"] = price
            context["over_cost"] = price.annual(level.over) if price else None
            subject = (
                f"Over-allocated by {level.over} seat(s): {product.name} "
                f"({level.assigned} assigned, {level.bought} bought)"
            )
            alert = f"{crossing}:over"
        else:
            subject = (
                f"Only {level.free} free seat(s) left: {product.name} (threshold {level.threshold})"
            )
            alert = f"{crossing}"
        email = render_email("free_seats", subject, context)
        key = f"free_seats:{product.id}:{alert}"
        planned += to_each(recipients, kind="free_seats", key=key, email=email)
    return planned


def find_product(*, session: Session, ref: str) -> Product:
    """A product by id, or by exact name, SKU or external id (must be unambiguous)."""
    if ref.isdigit():
        product = session.get(Product, int(ref))
        if product is not None:
            return product
    matches = list(
        session.exec(
            select(Product).where(
                sa.or_(
                    col(Product.name) == ref,
                    col(Product.sku) == ref,
                    col(Product.external_id) == ref,
                )
            )
        )
    )
    if not matches:
        raise NotFoundError(f"no product {ref!r} (give its id, name, SKU or external id)")
    if len(matches) > 1:
        ids = ", ".join(str(p.id) for p in matches)
        raise InvalidInputError(f"product {ref!r} is ambiguous (ids {ids}); give the id")
    return matches[0]


def set_threshold(*, session: Session, product_id: int, threshold: int | None) -> FreeSeatAlert:
    """Set (or clear, with None) a product's own free-seat threshold."""
    if threshold is not None and threshold < 0:
        raise InvalidInputError(f"free-seat threshold must be 0 or more, got {threshold}")
    _ensure_row(session, product_id)
    row = session.exec(select(FreeSeatAlert).where(FreeSeatAlert.product_id == product_id)).one()
    row.threshold = threshold
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return row
