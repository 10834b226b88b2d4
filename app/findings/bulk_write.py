"""Write many finding rows fast: driver-level executemany with values adapted once.

An analysis can upsert hundreds of thousands of findings. Going through the ORM (or
even Core parameter processing) costs more than the database work, so rows are handed
to the DBAPI as tuples: JSON already serialised, money and timestamps adapted the way
the column types would store them (SQLite: REAL money and naive UTC text timestamps,
as SQLAlchemy writes them; PostgreSQL: Decimal and aware datetimes). The SQL text
interpolates only fixed column names and the driver's placeholders, never values.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

#: Columns written for a new finding, in order.
INSERT_COLUMNS = (
    "key",
    "kind",
    "severity",
    "application_id",
    "product_id",
    "subject",
    "evidence",
    "fingerprint",
    "monthly_savings",
    "currency",
    "status",
    "first_seen",
    "last_seen",
)
#: Columns refreshed on an existing finding (matched by ``id``), in order.
UPDATE_COLUMNS = (
    "severity",
    "application_id",
    "product_id",
    "subject",
    "evidence",
    "fingerprint",
    "monthly_savings",
    "currency",
    "last_seen",
)
_BATCH = 10_000


class FindingWriter:
    """Adapts values for, and writes to, the ``finding`` table of one session's database."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.sqlite = session.get_bind().dialect.name == "sqlite"
        self.mark = "?" if self.sqlite else "%s"

    def time(self, value: datetime | None) -> Any:
        """Adapt a timestamp as the ``UTCDateTime`` column stores it."""
        if value is None or not self.sqlite:
            return value
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    def money(self, value: Decimal | None) -> Any:
        """Adapt an amount as the ``MONEY`` column stores it."""
        if value is None or not self.sqlite:
            return value
        return float(value)

    def json(self, text: str) -> str:
        """Pass serialised JSON (stored as text on SQLite, cast to jsonb on PostgreSQL)."""
        return text

    def _json_mark(self) -> str:
        return self.mark if self.sqlite else "CAST(%s AS JSONB)"

    def _run(self, sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
        connection = self.session.connection()
        for start in range(0, len(rows), _BATCH):
            connection.exec_driver_sql(sql, list(rows[start : start + _BATCH]))

    def insert(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Insert new findings; each row holds ``INSERT_COLUMNS`` values, adapted."""
        if not rows:
            return
        marks = [self._json_mark() if c == "evidence" else self.mark for c in INSERT_COLUMNS]
        columns = ", ".join(INSERT_COLUMNS)
        sql = f"INSERT INTO finding ({columns}) VALUES ({', '.join(marks)})"  # noqa: S608
        self._run(sql, rows)

    def update(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Refresh findings; each row holds ``UPDATE_COLUMNS`` values then the id."""
        if not rows:
            return
        sets = ", ".join(
            f"{c} = {self._json_mark() if c == 'evidence' else self.mark}" for c in UPDATE_COLUMNS
        )
        self._run(f"UPDATE finding SET {sets} WHERE id = {self.mark}", rows)  # noqa: S608

    def set_status(self, rows: Sequence[tuple[str, str | None, str | None, Any, Any, int]]) -> None:
        """Set status, reason, by, status_at and resolved_at (adapted) by id."""
        m = self.mark
        self._run(
            f"UPDATE finding SET status = {m}, status_reason = {m}, status_by = {m}, "  # noqa: S608
            f"status_at = {m}, resolved_at = {m} WHERE id = {m}",
            rows,
        )

    def resolve(self, ids: Sequence[int], now: datetime) -> None:
        """Mark findings no longer produced as resolved."""
        rows = [(self.time(now), i) for i in ids]
        m = self.mark
        # The right-hand side reads the row as it was: resolved_from gets the old status.
        sql = (
            "UPDATE finding SET resolved_from = status, status = 'resolved', "  # noqa: S608
            f"resolved_at = {m} WHERE id = {m}"
        )
        self._run(sql, rows)
