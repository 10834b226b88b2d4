"""A large synthetic inventory for the web benchmark, written with bulk inserts.

100,000 people; about 200,000 accounts over three connectors (an identity provider
holding everyone, a second suite, a chat tool); ~300 applications with catalogue keys
and two SKUs each; about a million seat assignments (a tenth of them removed); one or
two contracts per application with monthly invoices for half of them; a few months of
weekly usage for the biggest application; and ~60,000 findings in every status.

Rows go in with PostgreSQL ``COPY`` or SQLite ``executemany`` (SQLAlchemy Core), never
the ORM row by row: building the million assignments must take seconds, not minutes.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from app.models import metadata
from bench.web_contracts_findings import (
    FINDING_COLUMNS,
    INVOICE_COLUMNS,
    SUB_COLUMNS,
    at,
    contracts_and_invoices,
    findings,
)

CHUNK = 50_000
CONNECTORS = (("m365", "microsoft365"), ("google", "google_workspace"), ("slack", "slack"))
CATEGORIES = (
    "Productivity",
    "Collaboration",
    "Design",
    "Engineering",
    "Sales",
    "Marketing",
    "Finance",
    "HR",
    "Security",
    "Analytics",
    "Support",
    "Legal",
)


@dataclass
class Shape:
    """How big the inventory is."""

    people: int = 100_000
    applications: int = 300
    findings: int = 60_000
    seed: int = 11


@dataclass
class Built:
    """What the benchmark needs to know about the inventory it built."""

    counts: dict[str, int]
    big_application_id: int


def bulk_insert(
    conn: sa.Connection, table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]
) -> int:
    """Insert tuples (in ``columns`` order): COPY on PostgreSQL, executemany on SQLite."""
    tbl = metadata.tables[table]
    json_cols = {i for i, c in enumerate(columns) if isinstance(tbl.c[c].type, sa.JSON)}
    count = 0
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cur:
            names = ", ".join(f'"{c}"' for c in columns)
            with cur.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    if json_cols:
                        row = tuple(
                            json.dumps(v) if i in json_cols else v for i, v in enumerate(row)
                        )
                    copy.write_row(row)
                    count += 1
        return count
    # SQLite: the columns' own bind processors (UTC text times, JSON, floats for money),
    # then the driver's executemany: the Core insert would spend minutes on a million rows.
    procs = [_memoised(tbl.c[c].type.bind_processor(conn.dialect)) for c in columns]
    marks = ", ".join("?" * len(columns))
    sql = f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({marks})'  # noqa: S608
    raw_sqlite = conn.connection.driver_connection
    assert raw_sqlite is not None
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(
            tuple(v if p is None or v is None else p(v) for p, v in zip(procs, row, strict=True))
        )
        if len(batch) >= CHUNK:
            raw_sqlite.executemany(sql, batch)
            count += len(batch)
            batch = []
    if batch:
        raw_sqlite.executemany(sql, batch)
        count += len(batch)
    return count


def _memoised(process: Any) -> Any:
    """A bind processor remembering its answers (the rows repeat a few thousand values)."""
    if process is None:
        return None
    seen: dict[Any, Any] = {}

    def run(value: Any) -> Any:
        if isinstance(value, dict):
            return process(value)
        if value not in seen:
            seen[value] = process(value)
        return seen[value]

    return run


def build_inventory(engine: sa.Engine, shape: Shape, today: date) -> Built:
    """Fill an empty, migrated database; return row counts and the biggest application."""
    rng = random.Random(shape.seed)
    now = at(today)
    counts: dict[str, int] = {}
    n_apps = shape.applications
    with engine.begin() as conn:

        def put(table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
            counts[table] = counts.get(table, 0) + bulk_insert(conn, table, columns, rows)

        put(
            "connector_config",
            ("id", "kind", "name", "config", "enabled", "created_at", "updated_at"),
            [
                (i, kind, name, {"identity_provider": i == 1}, True, now, now)
                for i, (name, kind) in enumerate(CONNECTORS, start=1)
            ],
        )
        vendors = max(1, n_apps // 2)
        put(
            "vendor",
            ("id", "name", "created_at"),
            [(i, f"Vendor {i}", now) for i in range(1, vendors + 1)],
        )
        put(
            "application",
            (
                "id",
                "name",
                "vendor_id",
                "category",
                "catalog_key",
                "owner_email",
                "status",
                "created_at",
            ),
            [
                (
                    i,
                    f"App {i:03d}",
                    (i - 1) % vendors + 1,
                    CATEGORIES[i % len(CATEGORIES)],
                    f"app-{i:03d}",
                    f"owner{i}@example.com",
                    "active",
                    now,
                )
                for i in range(1, n_apps + 1)
            ],
        )
        # Two SKUs per application; the connector of an application's SKUs splits the
        # applications in three (identity-provider suite, second suite, chat tool).
        products: list[tuple[Any, ...]] = []
        by_connector: dict[int, list[int]] = {1: [], 2: [], 3: []}
        for app_id in range(1, n_apps + 1):
            connector = 1 if app_id <= n_apps // 2 else (2 if app_id <= n_apps * 5 // 6 else 3)
            for k in (1, 2):
                pid = (app_id - 1) * 2 + k
                by_connector[connector].append(pid)
                products.append(
                    (
                        pid,
                        app_id,
                        connector,
                        f"sku-{pid}",
                        f"SKU{pid}",
                        f"App {app_id:03d} plan {k}",
                        Decimal(rng.randrange(4, 60)),
                        "EUR",
                        shape.people if app_id == 1 else rng.randrange(500, 20_000),
                        "active",
                        now,
                        now,
                    )
                )
        put(
            "product",
            (
                "id",
                "application_id",
                "connector_id",
                "external_id",
                "sku",
                "name",
                "list_price",
                "list_price_currency",
                "seats_purchased",
                "status",
                "first_seen_at",
                "last_seen_at",
            ),
            products,
        )
        people = shape.people
        leavers = set(rng.sample(range(1, people + 1), people // 50))
        put(
            "person",
            (
                "id",
                "email",
                "display_name",
                "department",
                "cost_centre",
                "status",
                "created_at",
                "updated_at",
            ),
            (
                (
                    i,
                    f"person{i}@example.com",
                    f"Person {i}",
                    f"Dept {i % 40}",
                    f"CC {i % 100}",
                    "leaver" if i in leavers else "active",
                    now,
                    now,
                )
                for i in range(1, people + 1)
            ),
        )
        accounts = _accounts(rng, people, leavers, today)
        put(
            "account",
            (
                "id",
                "connector_id",
                "external_id",
                "person_id",
                "email",
                "display_name",
                "status",
                "is_guest",
                "is_admin",
                "department",
                "last_active_at",
                "activity_known",
                "first_seen_at",
                "last_seen_at",
            ),
            accounts.rows(),
        )
        put(
            "assignment",
            (
                "account_id",
                "product_id",
                "assigned_at",
                "first_seen_at",
                "last_seen_at",
                "removed_at",
            ),
            _assignments(rng, accounts, by_connector, today),
        )
        put(
            "usage_daily",
            ("account_id", "person_id", "product_id", "day", "activity"),
            _usage(rng, people, today),
        )
        subs, invoices = contracts_and_invoices(rng, n_apps, vendors, today)
        put("subscription", SUB_COLUMNS, subs)
        put("invoice", INVOICE_COLUMNS, invoices)
        put(
            "fx_rate",
            ("base", "quote", "day", "rate"),
            [("USD", "EUR", today - timedelta(days=d), Decimal("0.92")) for d in (0, 400, 800)],
        )
        put("finding", FINDING_COLUMNS, findings(rng, shape.findings, shape.people, n_apps, now))
    if engine.dialect.name == "postgresql":
        # What autovacuum would have done by the time anyone looks: statistics, and the
        # visibility map that lets PostgreSQL answer from covering indexes alone.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in counts:
                conn.execute(sa.text(f'VACUUM ANALYZE "{table}"'))
    return Built(counts=counts, big_application_id=1)


@dataclass
class Accounts:
    """Account ids by connector, and their rows."""

    ids: dict[int, list[int]]
    data: list[tuple[Any, ...]]

    def rows(self) -> Iterator[tuple[Any, ...]]:
        """The account rows."""
        return iter(self.data)


def _accounts(rng: random.Random, people: int, leavers: set[int], today: date) -> Accounts:
    """Everyone in the identity provider; 60% in the second suite; 40% in chat."""
    data: list[tuple[Any, ...]] = []
    ids: dict[int, list[int]] = {1: [], 2: [], 3: []}
    next_id = 1
    for connector, share in ((1, 1.0), (2, 0.6), (3, 0.4)):
        for person in range(1, people + 1):
            if share < 1.0 and rng.random() >= share:
                continue
            gone = person in leavers and connector == 1
            roll = rng.random()
            if roll < 0.08:
                last_active = None
            else:
                last_active = at(today - timedelta(days=int(rng.expovariate(1 / 25))))
            ids[connector].append(next_id)
            data.append(
                (
                    next_id,
                    connector,
                    f"c{connector}-{person}",
                    person,
                    f"person{person}@example.com",
                    f"Person {person}",
                    "suspended" if gone else "active",
                    rng.random() < 0.01,
                    rng.random() < 0.005,
                    f"Dept {person % 40}",
                    last_active,
                    True,
                    at(today - timedelta(days=700)),
                    at(today),
                )
            )
            next_id += 1
    return Accounts(ids, data)


def _assignments(
    rng: random.Random, accounts: Accounts, by_connector: dict[int, list[int]], today: date
) -> Iterator[tuple[Any, ...]]:
    """About five seats per account; every identity-provider account holds app 1's SKU."""
    per_account = {1: 6, 2: 5, 3: 3}
    for connector, account_ids in accounts.ids.items():
        pool = by_connector[connector]
        for account in account_ids:
            chosen = set(rng.sample(pool, min(per_account[connector], len(pool))))
            if connector == 1:
                chosen.discard(2)
                chosen.add(1)
            for product in chosen:
                assigned = today - timedelta(days=rng.randrange(1, 700))
                removed = (
                    at(assigned + timedelta(days=rng.randrange(1, 300)))
                    if rng.random() < 0.1 and product != 1
                    else None
                )
                if removed is not None and removed.date() > today:
                    removed = None
                yield (account, product, at(assigned), at(assigned), at(today), removed)


def _usage(rng: random.Random, people: int, today: date) -> Iterator[tuple[Any, ...]]:
    """Weekly usage of app 1's SKU by a fifth of the identity-provider accounts, a year long."""
    sample = rng.sample(range(1, people + 1), people // 5)
    for week in range(52):
        day = today - timedelta(days=7 * week)
        for account in sample[week % 4 :: 4]:
            yield (account, account, 1, day, {"events": rng.randrange(1, 50)})
