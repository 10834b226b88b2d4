"""The sync's key index of one connector, kept between runs in ``sync_index``.

A run compares every incoming account and seat with what the connector has stored
(:mod:`app.sync.apply`). Reading that from the ``account`` and ``assignment`` tables
costs ~1 s per 100,000 accounts — a whole core for most of the time a re-sync takes.
So each successful run that changed something also stores the index it ended with,
``marshal``-ed, in the same transaction; the next run reads that one row instead (~0.2 s).
A run that changed nothing only marks the stored index as describing its end too, in
a row apart from the bytes (``sync_index``; the bytes are in ``sync_index_data``).

The stored index is used only when it surely matches the tables: written with this
layout, at this migration revision, by (or confirmed by) the connector's latest
successful run, for exactly as many account rows as the connector has now. Otherwise
(and for connectors whose rows are not plain values, ``Connector.plain_values``) the
run scans the tables as before (:func:`scan`), and stores a fresh one. Only the sync writes accounts
and assignments; a manual change to them must be followed by :func:`forget`.
"""

# SQL here interpolates only integer ids and module-constant column names; nothing else.
# ruff: noqa: S608

from __future__ import annotations

import marshal
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from app.core import bulk
from app.core.db import utcnow
from app.sync.models import SyncIndex, SyncIndexData

LAYOUT = 1
"""Bump when what :class:`KeyIndex` holds, or an account row's values, change shape."""
INDEX_T: sa.Table = SyncIndex.__table__  # type: ignore[attr-defined]
DATA_T: sa.Table = SyncIndexData.__table__  # type: ignore[attr-defined]
ACCOUNT_FIELDS = (
    "email", "display_name", "status", "is_guest", "is_admin", "department",
    "vendor_created_at", "last_active_at", "activity_known",
)  # fmt: skip
SEAT_BITS = 32
"""A seat's key is ``account_id << 32 | product_id``: one int hashes and stores far more
cheaply than a tuple, and product ids stay far below 2**32."""
AccountKey = tuple[int | None, tuple[Any, ...]]
"""An account's row id (None until inserted) and its values (:data:`ACCOUNT_FIELDS`)."""


@dataclass
class KeyIndex:
    """What a connector has stored, as the applier compares it.

    Attributes:
        accounts: ``{external_id: (account id, values)}``, values in the order of
            :data:`ACCOUNT_FIELDS` with times in µs since the epoch.
        gone: External ids of accounts marked removed.
        seats: ``{account_id << 32 | product_id: assigned_at µs}``.
        gone_seats: Keys of seats marked removed.
    """

    accounts: dict[str, AccountKey] = field(default_factory=dict)
    gone: set[str] = field(default_factory=set)
    seats: dict[int, int | None] = field(default_factory=dict)
    gone_seats: set[int] = field(default_factory=set)


def _revision(conn: Connection) -> str:
    return MigrationContext.configure(conn).get_current_revision() or ""


def _scalar(conn: Connection, sql: str) -> Any:
    return conn.exec_driver_sql(sql).scalar_one()


def load(conn: Connection, connector_id: int) -> KeyIndex | None:
    """The stored index of the connector, or None when there is none it can trust.

    An index that cannot be read back (damaged, or written by a newer Python) is dropped
    rather than failing the run: the run scans the tables and stores a fresh one.
    """
    cid = int(connector_id)
    row = conn.execute(
        sa.select(
            INDEX_T.c.layout, INDEX_T.c.schema_revision, INDEX_T.c.accounts, INDEX_T.c.run_id
        ).where(INDEX_T.c.connector_id == cid)
    ).first()
    if row is None or row.layout != LAYOUT or row.schema_revision != _revision(conn):
        return None
    latest = _scalar(
        conn, f"SELECT max(id) FROM sync_run WHERE connector_id = {cid} AND status = 'succeeded'"
    )
    if row.run_id != latest:
        return None
    if row.accounts != _scalar(conn, f"SELECT count(*) FROM account WHERE connector_id = {cid}"):
        return None
    try:
        accounts, gone, seats, gone_seats = marshal.loads(_data(conn, cid))  # noqa: S302
        accounts.update(gone)
        seats.update(gone_seats)
        return KeyIndex(accounts, set(gone), seats, set(gone_seats))
    except (ValueError, EOFError, TypeError, AttributeError):
        forget(conn, cid)
        return None


def scan(conn: Connection, connector_id: int) -> KeyIndex:
    """The key index read from the tables (when no stored one can be trusted)."""
    accounts, gone = _scan_accounts(conn, connector_id)
    seats, gone_seats = _scan_seats(conn, connector_id)
    return KeyIndex(accounts, gone, seats, gone_seats)


def _scan_accounts(conn: Connection, connector_id: int) -> tuple[dict[str, AccountKey], set[str]]:
    """This connector's stored accounts: ``{external_id: (id, values)}``, and removed ids.

    Values compare like the incoming rows' in ``SnapshotApplier._add_accounts``: times as
    microseconds since the epoch (computed by the database, not parsed here),
    booleans as 0/1 or False/True, which compare equal.
    """
    known: dict[str, AccountKey] = {}
    gone: set[str] = set()
    fields = [bulk.micros_sql(conn, f) if f.endswith("_at") else f for f in ACCOUNT_FIELDS]
    for row in bulk.scan(
        conn,
        ("id", "external_id", "removed_at IS NOT NULL", *fields),
        "account",
        f"connector_id = {int(connector_id)}",
    ):
        known[row[1]] = (row[0], tuple(row[3:]))
        if row[2]:
            gone.add(row[1])
    return known, gone


def _scan_seats(conn: Connection, connector_id: int) -> tuple[dict[int, int | None], set[int]]:
    """This connector's stored seats: ``{key: assigned_at in µs}``, and the removed keys."""
    known: dict[int, int | None] = {}
    gone: set[int] = set()
    for key, assigned_at, removed in bulk.scan(
        conn,
        (f"s.account_id * {1 << SEAT_BITS} + s.product_id",
         bulk.micros_sql(conn, "s.assigned_at"), "s.removed_at IS NOT NULL"),
        # CROSS JOIN: SQLite then walks assignments in id order (the pages' order)
        # instead of sorting all of the connector's seats again for every page.
        "assignment s CROSS JOIN account a",
        f"a.id = s.account_id AND a.connector_id = {int(connector_id)}",
    ):  # fmt: skip
        known[key] = assigned_at
        if removed:
            gone.add(key)
    return known, gone


def _data(conn: Connection, connector_id: int) -> bytes:
    """The stored bytes, fetched in binary on PostgreSQL (as hex text they take 3x as long)."""
    sql = f"SELECT data FROM sync_index_data WHERE connector_id = {int(connector_id)}"
    raw: Any = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        with raw.cursor(binary=True) as cur:
            return bytes(cur.execute(sql).fetchone()[0])
    return bytes(raw.execute(sql).fetchone()[0])


def save(
    conn: Connection,
    connector_id: int,
    accounts: tuple[dict[str, AccountKey], dict[str, AccountKey]],
    seats: tuple[dict[int, int | None], dict[int, int | None]],
    *,
    run_id: int | None,
) -> None:
    """Store the connector's index as run ``run_id`` leaves it (in the run's transaction).

    Args:
        accounts: The accounts the run saw, and the stored ones it did not see (all now
            marked removed): two dictionaries as in :attr:`KeyIndex.accounts`.
        seats: Likewise for seats.
        run_id: The run, which must end as the connector's latest successful one.

    An index ``marshal`` cannot write (a value of another type) is not stored, and
    the next run scans the tables.
    """
    forget(conn, connector_id)
    try:
        data = marshal.dumps((*accounts, *seats))
    except ValueError:
        return
    conn.execute(
        INDEX_T.insert().values(
            connector_id=connector_id,
            layout=LAYOUT,
            schema_revision=_revision(conn),
            accounts=len(accounts[0]) + len(accounts[1]),
            run_id=run_id,
            written_at=utcnow(),
        )
    )
    conn.execute(DATA_T.insert().values(connector_id=connector_id, data=data))


def still_current(conn: Connection, connector_id: int, *, run_id: int | None) -> None:
    """Mark the stored index as describing the end of run ``run_id`` too (it changed nothing)."""
    conn.execute(
        INDEX_T.update().where(INDEX_T.c.connector_id == connector_id).values(run_id=run_id)
    )


def forget(conn: Connection, connector_id: int) -> None:
    """Drop the connector's stored index: its next run scans the tables."""
    conn.execute(DATA_T.delete().where(DATA_T.c.connector_id == connector_id))
    conn.execute(INDEX_T.delete().where(INDEX_T.c.connector_id == connector_id))
