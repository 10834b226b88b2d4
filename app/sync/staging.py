"""Staging tables for one sync run: records land here in bulk, then set-based SQL applies them.

Temporary tables live on the run's own connection and inside its transaction, so a
failed run leaves nothing behind. Rows are loaded with the driver's fastest bulk path
(``COPY`` on PostgreSQL, ``executemany`` on SQLite) after being converted by the same
type processors SQLAlchemy uses, so staged timestamps compare equal to stored ones.
"""

# SQL here interpolates only module-constant table and column names; values are bound.
# ruff: noqa: S608

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from app.core.db import UTCDateTime

ACCOUNTS = "sw_stage_account"
ASSIGNMENTS = "sw_stage_assignment"
SEATS = "sw_stage_seat"
USAGE = "sw_stage_usage"
USES = "sw_stage_use"
TABLES = (ACCOUNTS, ASSIGNMENTS, SEATS, USAGE, USES)

ACCOUNT_COLUMNS = (
    "seq", "external_id", "email", "norm_email", "display_name", "status", "is_guest",
    "is_admin", "department", "vendor_created_at", "last_active_at", "activity_known",
)  # fmt: skip
ASSIGNMENT_COLUMNS = ("seq", "account_external_id", "product_external_id", "assigned_at")
USAGE_COLUMNS = ("seq", "account_external_id", "product_external_id", "day", "activity")


def _ddl(pg: bool) -> list[str]:
    ts = "TIMESTAMPTZ" if pg else "TEXT"
    flag = "BOOLEAN" if pg else "INTEGER"
    day = "DATE" if pg else "TEXT"
    tail = " ON COMMIT DROP" if pg else ""
    return [
        f"CREATE TEMP TABLE {ACCOUNTS} (seq INTEGER NOT NULL, external_id TEXT NOT NULL, "
        f"email TEXT, norm_email TEXT, display_name TEXT, status TEXT NOT NULL, "
        f"is_guest {flag} NOT NULL, is_admin {flag} NOT NULL, department TEXT, "
        f"vendor_created_at {ts}, last_active_at {ts}, activity_known {flag} NOT NULL, "
        f"person_id INTEGER){tail}",
        f"CREATE TEMP TABLE {ASSIGNMENTS} (seq INTEGER NOT NULL, account_external_id TEXT "
        f"NOT NULL, product_external_id TEXT NOT NULL, assigned_at {ts}){tail}",
        f"CREATE TEMP TABLE {SEATS} (account_id INTEGER NOT NULL, product_id INTEGER NOT NULL, "
        f"assigned_at {ts}){tail}",
        f"CREATE TEMP TABLE {USAGE} (seq INTEGER NOT NULL, account_external_id TEXT NOT NULL, "
        f"product_external_id TEXT NOT NULL, day {day} NOT NULL, activity TEXT NOT NULL){tail}",
        f"CREATE TEMP TABLE {USES} (account_id INTEGER NOT NULL, person_id INTEGER, "
        f"product_id INTEGER, day {day} NOT NULL, activity TEXT NOT NULL){tail}",
    ]


INDEXES = (
    f"CREATE INDEX ix_{ACCOUNTS}_ext ON {ACCOUNTS} (external_id)",
    f"CREATE INDEX ix_{ACCOUNTS}_email ON {ACCOUNTS} (norm_email)",
    f"CREATE INDEX ix_{ACCOUNTS}_person ON {ACCOUNTS} (person_id)",
    f"CREATE INDEX ix_{ASSIGNMENTS}_ext ON {ASSIGNMENTS} (account_external_id, "
    "product_external_id)",
)


class Staging:
    """The run's staging tables and their bulk loaders."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"
        self.ne = "IS DISTINCT FROM" if self.pg else "IS NOT"
        self.same = "IS NOT DISTINCT FROM" if self.pg else "IS"
        self.json = "CAST({} AS JSONB)" if self.pg else "{}"
        self.time: Callable[[Any], Any] = UTCDateTime().bind_processor(conn.dialect) or (
            lambda v: v
        )
        self.day: Callable[[Any], Any] = (lambda d: d) if self.pg else (lambda d: d.isoformat())
        self.flag: Callable[[bool], Any] = (lambda b: bool(b)) if self.pg else (lambda b: int(b))
        for name in TABLES:
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
        for ddl in _ddl(self.pg):
            conn.exec_driver_sql(ddl)

    def load(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        """Append rows to a staging table in one bulk operation."""
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
        marks = ", ".join("?" for _ in columns)
        self.conn.exec_driver_sql(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows
        )

    def index(self) -> None:
        """Index the loaded tables (after the bulk load, which is faster)."""
        for ddl in INDEXES:
            self.conn.exec_driver_sql(ddl)
        if self.pg:
            for name in (ACCOUNTS, ASSIGNMENTS, USAGE):
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

    def run(self, sql: str, **params: Any) -> int:
        """Execute one statement with ``:stamp`` bound as a UTC timestamp; return rowcount."""
        stmt = sa.text(sql)
        if ":stamp" in sql:
            stmt = stmt.bindparams(sa.bindparam("stamp", type_=UTCDateTime()))
        return int(self.conn.execute(stmt, params).rowcount or 0)

    def count(self, sql: str, **params: Any) -> int:
        """A single integer from a query."""
        stmt = sa.text(sql)
        if ":stamp" in sql:
            stmt = stmt.bindparams(sa.bindparam("stamp", type_=UTCDateTime()))
        return int(self.conn.execute(stmt, params).scalar() or 0)

    def drop(self) -> None:
        """Drop the staging tables (PostgreSQL also drops them at commit)."""
        for name in TABLES:
            self.conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")

    @staticmethod
    def activity(value: dict[str, int]) -> str:
        """Usage activity as the JSON text the JSON column stores."""
        return json.dumps(value)
