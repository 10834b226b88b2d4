"""Staging tables for one sync run: changed rows land here in bulk, then set-based SQL applies them.

Temporary tables live on the run's own connection and inside its transaction, so a
failed run leaves nothing behind: changed accounts and seats of the current batch,
the keys of rows that disappeared, assignments waiting for their account, usage days.
Rows are loaded with :mod:`app.core.bulk` (``COPY`` on PostgreSQL, multi-row inserts on
SQLite); timestamps are converted exactly as :class:`UTCDateTime` stores them.
"""

# SQL here interpolates only module-constant table and column names; values are bound.
# ruff: noqa: S608

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from app.core import bulk
from app.core.db import UTCDateTime

ACCOUNTS = "sw_stage_account"
SEATS = "sw_stage_seat"
GONE_ACCOUNTS = "sw_gone_account"
GONE_SEATS = "sw_gone_seat"
PENDING = "sw_pending_assignment"
USAGE = "sw_stage_usage"
USES = "sw_stage_use"
TABLES = (ACCOUNTS, SEATS, GONE_ACCOUNTS, GONE_SEATS, PENDING, USAGE, USES)

ACCOUNT_COLUMNS = (
    "account_id", "email", "display_name", "status", "is_guest", "is_admin", "department",
    "vendor_created_at", "last_active_at", "activity_known", "person_id",
)  # fmt: skip
SEAT_COLUMNS = ("account_id", "product_id", "assigned_at")
PENDING_COLUMNS = ("seq", "account_external_id", "product_external_id", "assigned_at")
USAGE_COLUMNS = ("seq", "account_external_id", "product_external_id", "day", "activity")


MICROS_TABLES = (ACCOUNTS, SEATS)
"""On PostgreSQL these hold times as µs since the epoch (``BIGINT``), which the applying
``UPDATE`` converts (:meth:`Staging.stored_time`): copying integers and converting in SQL
takes a third of the time of making a datetime per value in Python and copying those."""


def _ddl(pg: bool) -> list[str]:
    ts = "TIMESTAMPTZ" if pg else "TEXT"
    us = "BIGINT" if pg else "TEXT"  # MICROS_TABLES
    flag = "BOOLEAN" if pg else "INTEGER"
    day = "DATE" if pg else "TEXT"
    tail = " ON COMMIT DROP" if pg else ""
    # Keyed tables: one B-tree on SQLite (rowid or WITHOUT ROWID), so loading is cheap.
    keyed = tail if pg else " WITHOUT ROWID"
    return [
        f"CREATE TEMP TABLE {ACCOUNTS} (account_id INTEGER PRIMARY KEY, email TEXT, "
        f"display_name TEXT, status TEXT NOT NULL, is_guest {flag} NOT NULL, "
        f"is_admin {flag} NOT NULL, department TEXT, vendor_created_at {us}, "
        f"last_active_at {us}, activity_known {flag} NOT NULL, person_id INTEGER){tail}",
        f"CREATE TEMP TABLE {SEATS} (account_id INTEGER NOT NULL, product_id INTEGER NOT NULL, "
        f"assigned_at {us}, PRIMARY KEY (account_id, product_id)){keyed}",
        f"CREATE TEMP TABLE {GONE_ACCOUNTS} (id INTEGER PRIMARY KEY){tail}",
        f"CREATE TEMP TABLE {GONE_SEATS} (account_id INTEGER NOT NULL, product_id INTEGER "
        f"NOT NULL, PRIMARY KEY (account_id, product_id)){keyed}",
        f"CREATE TEMP TABLE {PENDING} (seq INTEGER PRIMARY KEY, account_external_id TEXT NOT "
        f"NULL, product_external_id TEXT NOT NULL, assigned_at {ts}){tail}",
        f"CREATE TEMP TABLE {USAGE} (seq INTEGER NOT NULL, account_external_id TEXT NOT NULL, "
        f"product_external_id TEXT NOT NULL, day {day} NOT NULL, activity TEXT NOT NULL){tail}",
        f"CREATE TEMP TABLE {USES} (account_id INTEGER NOT NULL, person_id INTEGER, "
        f"product_id INTEGER, day {day} NOT NULL, activity TEXT NOT NULL){tail}",
    ]


class Staging:
    """The run's staging tables and their bulk loaders."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"
        self.ne = "IS DISTINCT FROM" if self.pg else "IS NOT"
        self.same = "IS NOT DISTINCT FROM" if self.pg else "IS"
        self.json = "CAST({} AS JSONB)" if self.pg else "{}"
        self.time: Callable[[datetime | None], Any] = bulk.time_writer(conn)
        self.read_time: Callable[[Any], datetime | None] = (
            (lambda t: t) if self.pg else bulk.sqlite_read_time
        )
        self.day: Callable[[date], Any] = (lambda d: d) if self.pg else (lambda d: d.isoformat())
        if self.pg:
            # Only this transaction's commit waits less for the WAL flush; a crash right
            # after it could lose the run (never corrupt it), and the next run redoes it.
            conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
        else:
            conn.exec_driver_sql("PRAGMA temp_store = MEMORY")
            conn.exec_driver_sql("PRAGMA cache_size = -65536")
        self.drop()
        for ddl in _ddl(self.pg):
            conn.exec_driver_sql(ddl)
        self._stamp_type = UTCDateTime()

    def load(
        self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]],
        micros: Collection[str] = (),
    ) -> None:  # fmt: skip
        """Append rows to a table in one bulk operation (staging tables, or new inventory rows).

        Times in the columns named in ``micros`` are given as µs since the epoch.
        """
        if self.pg and table in MICROS_TABLES:
            bulk.check_micros(table, columns, rows, micros)
            micros = ()  # stored as they are; see stored_time
        bulk.insert(self.conn, table, columns, rows, micros=micros)

    def stored_time(self, column: str) -> str:
        """SQL for a time column of a ``MICROS_TABLES`` table as the inventory stores it."""
        return bulk.from_micros_pg(column) if self.pg else column

    def clear(self, *tables: str) -> None:
        """Empty batch tables for the next batch."""
        for name in tables:
            self.conn.exec_driver_sql(f"{'TRUNCATE' if self.pg else 'DELETE FROM'} {name}")

    def dedupe(self, table: str, key: str) -> None:
        """Keep the last staged row of each key (a source listing something twice)."""
        dupes = self.conn.exec_driver_sql(
            f"SELECT COUNT(*) - COUNT(DISTINCT {key}) FROM {table}"
        ).scalar()
        if dupes:
            self.conn.exec_driver_sql(
                f"DELETE FROM {table} WHERE seq NOT IN "
                f"(SELECT MAX(seq) FROM {table} GROUP BY {key})"
            )

    def _stmt(self, sql: str) -> sa.TextClause:
        stmt = sa.text(sql)
        if ":stamp" in sql:
            stmt = stmt.bindparams(sa.bindparam("stamp", type_=self._stamp_type))
        return stmt

    def run(self, sql: str, **params: Any) -> int:
        """Execute one statement with ``:stamp`` bound as a UTC timestamp; return rowcount."""
        return int(self.conn.execute(self._stmt(sql), params).rowcount or 0)

    def count(self, sql: str, **params: Any) -> int:
        """A single integer from a query."""
        return int(self.conn.execute(self._stmt(sql), params).scalar() or 0)

    def drop(self) -> None:
        """Drop the staging tables (PostgreSQL also drops them at commit)."""
        for name in TABLES:
            self.conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")

    @staticmethod
    def activity(value: dict[str, int]) -> str:
        """Usage activity as the JSON text the JSON column stores."""
        return json.dumps(value)
