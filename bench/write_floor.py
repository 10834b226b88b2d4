"""The least a first load of the 100,000-user tenant can cost: its rows, written bare.

Why this exists: ``bench/sync_m365.py`` measures a first load into an empty database at
2.4-8.5 times the bare fetch, against a target of 1.5. This script asks what the
database alone needs for the same rows, so that the gap can be told apart from
overhead in the sync: it fetches the sandbox tenant once (not timed), builds every
person, account and seat row a first load writes as plain tuples (the same values, the
same lengths), then times only handing them to the database the cheapest way each
offers, in one transaction, into the real migrated schema (its indexes, unique
constraints and foreign keys):

- SQLite: ``executemany`` of prepared inserts with explicit ids; WAL, ``synchronous``,
  cache size and temporary store as the sync sets them.
- PostgreSQL: ``COPY … FROM STDIN`` per table with explicit ids (psycopg's text copy,
  as the sync uses), with the sync's ``synchronous_commit = off``.

Nothing is mapped, compared, matched or indexed on the Python side; no key index is
stored. So the figure is a floor: no sync of these rows can be faster on that backend
and machine. It prints the floor and two ratios to a bare fetch measured in the same
invocation: *serial* (fetch, then write: (fetch + write) / fetch) and *fully
overlapped* (writing hidden entirely behind the fetch: max(fetch, write) / fetch, which
no real sync reaches, since it cannot write a page before it has it).

Usage: ``python bench/write_floor.py [--users 100000] [--seed 1] [--backend sqlite]``
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.sync_m365 import (
    _bare_fetch,
    _database,
    _in_child,
    _load,
    _start_sandbox,
)

Row = tuple[Any, ...]
PERSON = ("id", "email", "display_name", "department", "status", "created_at", "updated_at")
ACCOUNT = (
    "id", "connector_id", "external_id", "person_id", "email", "display_name", "status",
    "is_guest", "is_admin", "department", "vendor_created_at", "last_active_at",
    "activity_known", "first_seen_at", "last_seen_at",
)  # fmt: skip
SEAT = ("id", "account_id", "product_id", "assigned_at", "first_seen_at", "last_seen_at")


def _tenant(config: dict[str, Any]) -> tuple[list[str], list[dict[str, Any]]]:
    """The tenant's SKU ids and users, fetched through the connector's own client."""
    import orjson

    from connectors.microsoft365 import Microsoft365Connector

    connector = Microsoft365Connector(config)
    with connector._client() as http:
        skus = [str(s["skuId"]) for s in connector._skus(http)]
        first, rest, _ = connector._first_user_page(http)
        users = [
            user
            for body, _url, _link in itertools.chain([first], rest)
            for user in orjson.loads(body)["value"]
        ]
    return skus, users


def _rows(
    users: list[dict[str, Any]], product_ids: dict[str, int], connector_id: int, now: datetime
) -> tuple[list[Row], list[Row], list[Row]]:
    """Person, account and seat tuples with the values a first load writes."""
    persons: list[Row] = []
    accounts: list[Row] = []
    seats: list[Row] = []
    emails: dict[str, int] = {}
    for user in users:
        email = str(user.get("mail") or user["userPrincipalName"]).lower()
        person_id = emails.get(email)
        if person_id is None:
            person_id = emails[email] = len(persons) + 1
            persons.append(
                (person_id, email, user.get("displayName"), user.get("department"), "active",
                 now, now)
            )  # fmt: skip
        account_id = len(accounts) + 1
        activity = user.get("signInActivity") or {}
        times = [v for v in activity.values() if isinstance(v, str) and v.endswith("Z")]
        accounts.append(
            (account_id, connector_id, user["id"], person_id, email, user.get("displayName"),
             "active" if user.get("accountEnabled") else "suspended",
             user.get("userType") == "Guest", False, user.get("department"),
             _when(user.get("createdDateTime")), _when(max(times)) if times else None, True,
             now, now)
        )  # fmt: skip
        for licence in user.get("assignedLicenses") or []:
            product_id = product_ids.get(str(licence["skuId"]))
            if product_id is not None:
                seats.append((len(seats) + 1, account_id, product_id, None, now, now))
    return persons, accounts, seats


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text[:19]).replace(tzinfo=UTC)


def _setup(url: str, skus: list[str]) -> tuple[int, dict[str, int]]:
    """A connector and its products, as a first load finds them (created by the app)."""
    from sqlmodel import Session

    from app.core.db import make_engine
    from app.inventory.models import Product
    from app.inventory.service import resolve_application
    from app.sync.models import ConnectorConfig

    engine = make_engine(url)
    with Session(engine) as session:
        connector = ConnectorConfig(kind="microsoft365", name="m365", config={})
        session.add(connector)
        session.flush()
        app = resolve_application(session=session, name="Microsoft 365", vendor_name="Microsoft")
        assert app.id is not None
        now = datetime.now(UTC)
        products = {}
        for sku in skus:
            product = Product(
                application_id=app.id, connector_id=connector.id, external_id=sku, name=sku,
                status="active", first_seen_at=now, last_seen_at=now,
            )  # fmt: skip
            session.add(product)
            session.flush()
            assert product.id is not None
            products[sku] = product.id
        assert connector.id is not None
        connector_id = connector.id
        session.commit()
    engine.dispose()
    return connector_id, products


def _write(url: str, tables: Sequence[tuple[str, tuple[str, ...], list[Row]]]) -> dict[str, float]:
    """Seconds per table and for the commit, writing the rows the cheapest way."""
    from app.core.db import make_engine

    engine = make_engine(url)
    raw = engine.raw_connection()
    times: dict[str, float] = {}
    try:
        cursor = raw.cursor()
        postgres = engine.dialect.name == "postgresql"
        if not postgres:
            tables = [(t, c, [tuple(_sqlite(v) for v in r) for r in rows]) for t, c, rows in tables]
            cursor.execute("BEGIN IMMEDIATE")
            cursor.execute("PRAGMA temp_store = MEMORY")  # the sync's own settings
            cursor.execute("PRAGMA cache_size = -65536")
        else:
            cursor.execute("SET LOCAL synchronous_commit = off")
        for table, columns, rows in tables:
            start = time.perf_counter()
            if postgres:
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" * len(columns))
                cursor.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
                    rows,
                )
            times[table] = time.perf_counter() - start
        start = time.perf_counter()
        raw.commit()
        times["commit"] = time.perf_counter() - start
    finally:
        raw.close()
        engine.dispose()
    return times


def _sqlite(value: Any) -> Any:
    """SQLAlchemy's text form of a datetime on SQLite (converted before the clock starts)."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def main() -> None:
    """Fetch once, then time the bare writes on each backend against a bare fetch."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="seatwise-floor-"))
    sandbox, config = _start_sandbox(args.users, args.seed, tmp / "tls")
    try:
        skus, users = _tenant(config)
        for attempt, backend in enumerate(args.backend or ["sqlite", "postgresql"], 1):
            db = _database(backend, tmp, attempt)
            if db is None:
                continue
            url, cleanup = db
            try:
                connector_id, products = _setup(url, skus)
                persons, accounts, seats = _rows(users, products, connector_id, datetime.now(UTC))
                bare = _in_child(_bare_fetch, config)["seconds"]
                times = _write(
                    url,
                    [("person", PERSON, persons), ("account", ACCOUNT, accounts),
                     ("assignment", SEAT, seats)],
                )  # fmt: skip
            finally:
                if cleanup is not None:
                    cleanup()
            total = sum(times.values())
            parts = ", ".join(f"{k} {v:.2f} s" for k, v in times.items())
            print(
                f"{backend}: {len(persons):,} persons, {len(accounts):,} accounts, "
                f"{len(seats):,} seats written bare in {total:.2f} s ({parts}); bare fetch "
                f"{bare:.2f} s; floor ratio serial {(bare + total) / bare:.2f}, fully "
                f"overlapped {max(bare, total) / bare:.2f} (target 1.5; {_load()})"
            )
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=30)


if __name__ == "__main__":
    main()
