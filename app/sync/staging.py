"""Staging tables for one sync run: records land here in bulk, then set-based SQL applies them.

Temporary tables live on the run's own connection and inside its transaction, so a
failed run leaves nothing behind. Two kinds of table: *batch* tables hold the rows of
the batch being applied and are emptied after each batch; *seen* tables accumulate
the keys (and ids) of everything this run reported, for marking what disappeared at
the end. Rows are loaded with the driver's fastest bulk path (``COPY`` on PostgreSQL,
``executemany`` on SQLite); timestamps are converted exactly as :class:`UTCDateTime`
stores them, so staged values compare equal to stored ones.
"""

# SQL here interpolates only module-constant table and column names; values are bound.
# ruff: noqa: S608

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from app.core.db import UTCDateTime

ACCOUNTS = "sw_stage_account"
SEATS = "sw_stage_seat"
SEEN_PERSONS = "sw_seen_person"
GONE_ACCOUNTS = "sw_gone_account"
GONE_SEATS = "sw_gone_seat"
PENDING = "sw_pending_assignment"
USAGE = "sw_stage_usage"
USES = "sw_stage_use"
TABLES = (ACCOUNTS, SEATS, SEEN_PERSONS, GONE_ACCOUNTS, GONE_SEATS, PENDING, USAGE, USES)

ACCOUNT_COLUMNS = (
    "seq", "account_id", "external_id", "norm_email", "email", "display_name", "status",
    "is_guest", "is_admin", "department", "vendor_created_at", "last_active_at",
    "activity_known",
)  # fmt: skip
SEAT_COLUMNS = ("account_id", "product_id", "assigned_at")
PENDING_COLUMNS = ("seq", "account_external_id", "product_external_id", "assigned_at")
USAGE_COLUMNS = ("seq", "account_external_id", "product_external_id", "day", "activity")


def _ddl(pg: bool) -> list[str]:
    ts = "TIMESTAMPTZ" if pg else "TEXT"
    flag = "BOOLEAN" if pg else "INTEGER"
    day = "DATE" if pg else "TEXT"
    tail = " ON COMMIT DROP" if pg else ""
    # Keyed tables: one B-tree on SQLite (rowid or WITHOUT ROWID), so loading is cheap.
    keyed = tail if pg else " WITHOUT ROWID"
    return [
        f"CREATE TEMP TABLE {ACCOUNTS} (seq INTEGER PRIMARY KEY, account_id INTEGER, "
        f"external_id TEXT NOT NULL, norm_email TEXT, email TEXT, display_name TEXT, "
        f"status TEXT NOT NULL, is_guest {flag} NOT NULL, is_admin {flag} NOT NULL, "
        f"department TEXT, vendor_created_at {ts}, last_active_at {ts}, "
        f"activity_known {flag} NOT NULL, person_id INTEGER){tail}",
        f"CREATE TEMP TABLE {SEATS} (account_id INTEGER NOT NULL, product_id INTEGER NOT NULL, "
        f"assigned_at {ts}, PRIMARY KEY (account_id, product_id)){keyed}",
        f"CREATE TEMP TABLE {SEEN_PERSONS} (person_id INTEGER PRIMARY KEY){tail}",
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


def _sqlite_time(value: datetime | None) -> str | None:
    """What ``UTCDateTime`` stores on SQLite (``YYYY-MM-DD HH:MM:SS.ffffff``), only faster."""
    if value is None:
        return None
    zone = value.tzinfo
    if zone is None:
        raise ValueError(f"naive datetime {value!r} given; Seatwise stores aware UTC times")
    if zone is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]


def _sqlite_read_time(value: str | None) -> datetime | None:
    """A stored SQLite time back as an aware datetime (what ``UTCDateTime`` gives)."""
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


def _pg_time(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r} given; Seatwise stores aware UTC times")
    return value


class Staging:
    """The run's staging tables and their bulk loaders."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"
        self.ne = "IS DISTINCT FROM" if self.pg else "IS NOT"
        self.same = "IS NOT DISTINCT FROM" if self.pg else "IS"
        self.json = "CAST({} AS JSONB)" if self.pg else "{}"
        self.time: Callable[[datetime | None], Any] = _pg_time if self.pg else _sqlite_time
        self.read_time: Callable[[Any], datetime | None] = (
            (lambda t: t) if self.pg else _sqlite_read_time
        )
        self.day: Callable[[date], Any] = (lambda d: d) if self.pg else (lambda d: d.isoformat())
        if self.pg:
            # Only this transaction's commit waits less for the WAL flush; a crash right
            # after it could lose the run (never corrupt it), and the next run redoes it.
            conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
            # Each batch joins a few thousand staged rows to tables of the whole tenant,
            # which are hot in cache: let the planner prefer index lookups to scans.
            conn.exec_driver_sql("SET LOCAL random_page_cost = 1.1")
        else:
            conn.exec_driver_sql("PRAGMA temp_store = MEMORY")
            conn.exec_driver_sql("PRAGMA cache_size = -65536")
        self.drop()
        for ddl in _ddl(self.pg):
            conn.exec_driver_sql(ddl)
        self._stamp_type = UTCDateTime()

    def load(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        """Append rows to a table in one bulk operation (staging tables, or new inventory rows).

        PostgreSQL: ``COPY``. SQLite: one ``INSERT … SELECT`` over a JSON array, not
        ``executemany`` — one statement releases the interpreter lock once, where
        ``executemany`` releases and re-takes it per row and so queues behind the fetch
        thread thousands of times per batch.
        """
        if not rows:
            return
        if self.pg:
            raw: Any = self.conn.connection.driver_connection
            with (
                raw.cursor() as cur,
                cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
            return
        values = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(columns)))
        self.conn.exec_driver_sql(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {values} FROM json_each(?)",
            (json.dumps(rows, separators=(",", ":")),),
        )

    def rows(self, sql: str) -> Any:
        """Raw driver rows of a query without parameters (no type conversion: the fastest read)."""
        raw: Any = self.conn.connection.driver_connection
        cursor = raw.cursor()
        cursor.execute(sql)
        return cursor

    def clear(self, *tables: str) -> None:
        """Empty batch tables for the next batch."""
        for name in tables:
            self.conn.exec_driver_sql(f"{'TRUNCATE' if self.pg else 'DELETE FROM'} {name}")

    def analyze(self, *tables: str) -> None:
        """Give PostgreSQL's planner row counts of freshly loaded temp tables."""
        if self.pg:
            for name in tables:
                self.conn.exec_driver_sql(f"ANALYZE {name}")

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
