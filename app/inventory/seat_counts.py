"""Seats assigned and active per product, counted in SQL and kept until the data changes.

Counting seats means reading every live assignment with its account's last activity:
at a million assignments that is half a second of SQLite (a quarter of PostgreSQL) on
every page that shows seats. The counts only change when a sync applies a snapshot
(the only writer of accounts, assignments and products) or when the day changes (an
account is *active* when seen in the last 30 days), so pages keep the answer in a
``ReadCache`` tied to the running app and recompute it when the *data version* moves.

The data version is one cheap statement (index min/max and counts over small tables):
the latest sync run and its finish time, and the highest ids of the inventory tables;
contracts, invoices and FX rates for what depends on spend. A cache entry also
expires after ``ReadCache.ttl`` seconds, so a change made behind the app's back (a
hand-edited database) shows within minutes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, col

from app.inventory.models import Product, Subscription
from app.people.models import Account, Assignment, Person
from app.spend.models import FxRate, Invoice
from app.sync.models import SyncRun

T = TypeVar("T")

#: An account counts as active when it was seen active this many days before today.
ACTIVE_DAYS = 30


NO_ACTIVITY_DATA = sa.case((col(Account.activity_known).is_(False), 1), else_=0)
"""SQL: 1 for a seat whose holder's source reports no activity (summed per product)."""


def active_since(today: date, *, now: datetime | None = None) -> datetime:
    """The cut-off time of 'active' seats: ``ACTIVE_DAYS`` before now on the current day.

    That is the rule of ``inventory products`` and ``/api/v1/products`` (``--active-days``
    from the moment of the call), so pages and e-mails show the same figures as the CLI
    and REST. "The current day" is any date within a day of now's UTC date: pages pass
    the server's date, alerts the date in ``SEATWISE_TIMEZONE``, and somewhere on earth
    it is each of those three dates. For a day further off (an alert planned ``--as-of``
    another day) it is ``ACTIVE_DAYS`` before the end of that day. A page's cached counts
    are at most ``ReadCache.ttl`` seconds behind the moving cut-off.
    """
    now = now or datetime.now(UTC)
    if abs((today - now.astimezone(UTC).date()).days) <= 1:
        return now - timedelta(days=ACTIVE_DAYS)
    return datetime.combine(today + timedelta(days=1), clock.min, tzinfo=UTC) - timedelta(
        days=ACTIVE_DAYS
    )


@dataclass(frozen=True)
class ProductSeats:
    """One product's live seats: held, held by an account active in the last 30 days, and
    held by an account whose source reports no activity (never counted active)."""

    application_id: int
    live: bool
    assigned: int
    active: int
    unknown: int = 0
    free: bool = False
    """A free SKU (list price 0, e.g. Power BI Standard): not a paid seat anywhere totals
    are shown (its million 'purchased' units would drown the paid ones)."""


class ReadCache:
    """Answers of expensive read queries, per data version (one per running app)."""

    def __init__(self, ttl: float = 300.0, max_entries: int = 512) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[Hashable, float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, version: Hashable, compute: Callable[[], T]) -> T:
        """The cached answer of ``key`` at ``version``, computing it when absent or stale."""
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None and entry[0] == version and now - entry[1] < self.ttl:
            value: T = entry[2]
            return value
        value = compute()
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key] = (version, now, value)
        return value

    def clear(self) -> None:
        """Forget every answer."""
        with self._lock:
            self._entries.clear()


def cache_of(state: Any) -> ReadCache:
    """The ``ReadCache`` kept on an app's ``state`` (created on first use)."""
    cache = getattr(state, "read_cache", None)
    if not isinstance(cache, ReadCache):
        cache = ReadCache()
        state.read_cache = cache
    return cache


def _scalar(stmt: Any) -> Any:
    return stmt.scalar_subquery()


def inventory_version(*, session: Session) -> tuple[Any, ...]:
    """A value that changes whenever synced inventory or contracts, invoices or rates change."""
    stmt = sa.select(
        _scalar(sa.select(sa.func.max(col(SyncRun.id)))),
        _scalar(sa.select(sa.func.count()).select_from(SyncRun)),
        _scalar(sa.select(sa.func.max(col(SyncRun.finished_at)))),
        _scalar(sa.select(sa.func.max(col(Assignment.id)))),
        _scalar(sa.select(sa.func.max(col(Account.id)))),
        _scalar(sa.select(sa.func.max(col(Person.id)))),
        _scalar(sa.select(sa.func.max(col(Product.id)))),
        _scalar(sa.select(sa.func.count()).select_from(Product)),
        _scalar(sa.select(sa.func.max(col(Subscription.id)))),
        _scalar(sa.select(sa.func.count()).select_from(Subscription)),
        _scalar(sa.select(sa.func.max(col(Subscription.updated_at)))),
        _scalar(sa.select(sa.func.max(col(Invoice.id)))),
        _scalar(sa.select(sa.func.count()).select_from(Invoice)),
        _scalar(sa.select(sa.func.max(col(FxRate.id)))),
        _scalar(sa.select(sa.func.count()).select_from(FxRate)),
    )
    return tuple(session.execute(stmt).one())


def cached(
    cache: ReadCache | None,
    *,
    session: Session,
    key: Hashable,
    compute: Callable[[], T],
) -> T:
    """``compute()`` through ``cache`` at the current data version (directly without a cache)."""
    if cache is None:
        return compute()
    # One version per session: a page asks for several cached answers in one request.
    version = session.info.get("seatwise_data_version")
    if version is None:
        version = session.info["seatwise_data_version"] = inventory_version(session=session)
    return cache.get(key, version, compute)


def count_product_seats(*, session: Session, today: date) -> dict[int, ProductSeats]:
    """Count every product's live seats and active seats in one grouped statement."""
    held = (
        sa.select(
            col(Assignment.product_id).label("pid"),
            sa.func.count().label("assigned"),
            sa.func.sum(
                sa.case((col(Account.last_active_at) >= active_since(today), 1), else_=0)
            ).label("active"),
            sa.func.sum(NO_ACTIVITY_DATA).label("unknown"),
        )
        .join(Account, col(Account.id) == col(Assignment.account_id))
        .where(col(Assignment.removed_at).is_(None))
        .group_by(col(Assignment.product_id))
        .subquery()
    )
    rows = session.execute(
        sa.select(
            col(Product.id),
            col(Product.application_id),
            col(Product.removed_at).is_(None),
            sa.func.coalesce(held.c.assigned, 0),
            sa.func.coalesce(held.c.active, 0),
            sa.func.coalesce(held.c.unknown, 0),
            sa.func.coalesce(col(Product.list_price) == 0, False),
        ).outerjoin(held, held.c.pid == col(Product.id))
    ).all()
    return {
        int(pid): ProductSeats(
            int(app_id), bool(live), int(assigned), int(active), int(unknown), bool(free)
        )
        for pid, app_id, live, assigned, active, unknown, free in rows
    }


def product_seats(
    *, session: Session, today: date, cache: ReadCache | None = None
) -> dict[int, ProductSeats]:
    """Every product's seat counts (from ``cache`` while the data has not changed)."""
    return cached(
        cache,
        session=session,
        key=("product_seats", today),
        compute=lambda: count_product_seats(session=session, today=today),
    )


def application_seats(
    *, session: Session, today: date, cache: ReadCache | None = None
) -> dict[int, tuple[int, int]]:
    """Live paid seats assigned and active per application (live, priced products only)."""
    out: dict[int, tuple[int, int]] = {}
    for seats in product_seats(session=session, today=today, cache=cache).values():
        if not seats.live or seats.free:
            continue
        assigned, active = out.get(seats.application_id, (0, 0))
        out[seats.application_id] = (assigned + seats.assigned, active + seats.active)
    return out
