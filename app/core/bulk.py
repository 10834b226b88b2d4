"""Bulk reads and writes below the ORM, for the sync's large batches.

Each helper takes the SQLAlchemy connection of the caller's transaction and uses its
driver connection directly, with one statement per few thousand rows:

- PostgreSQL: ``COPY`` to load rows (with ids drawn from the table's sequence first
  when the new ids are needed back), ``IN`` over a JSON array to look up.
- SQLite: multi-row ``VALUES`` (as many rows as the bound-variable limit allows) and
  ``IN (SELECT value FROM json_each(?))``. Not ``executemany``: it releases and re-takes
  the interpreter lock for every row, and each time may wait out the fetch thread's
  switch interval — measured at up to 50 µs per row during a sync.

Timestamps are written as :class:`app.core.db.UTCDateTime` stores them (aware
datetimes on PostgreSQL, ``YYYY-MM-DD HH:MM:SS.ffffff`` UTC text on SQLite), so rows
written here read back exactly like rows written through the ORM.
"""

# SQL here interpolates only caller-constant table and column names; values are bound.
# ruff: noqa: S608

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def is_pg(conn: Connection) -> bool:
    """Whether the connection is to PostgreSQL (else SQLite)."""
    return conn.dialect.name == "postgresql"


def sqlite_time(value: datetime | None) -> str | None:
    """What ``UTCDateTime`` stores on SQLite (``YYYY-MM-DD HH:MM:SS.ffffff``), only faster."""
    if value is None:
        return None
    zone = value.tzinfo
    if zone is None:
        raise ValueError(f"naive datetime {value!r} given; Seatwise stores aware UTC times")
    if zone is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]


def sqlite_read_time(value: str | None) -> datetime | None:
    """A stored SQLite time back as an aware datetime (what ``UTCDateTime`` gives)."""
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


def pg_time(value: datetime | None) -> datetime | None:
    """PostgreSQL takes aware datetimes as they are; naive ones are refused as ambiguous."""
    if value is not None and value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r} given; Seatwise stores aware UTC times")
    return value


def micros_sql(conn: Connection, column: str) -> str:
    """SQL giving a stored time column as whole microseconds since the epoch (or NULL).

    Comparing times as integers lets the sync read a tenant's stored times without
    turning each into a datetime in Python (the slowest part of reading them back).
    """
    if is_pg(conn):
        return f"CAST(EXTRACT(EPOCH FROM {column}) * 1000000 AS BIGINT)"
    return (
        f"(CAST(strftime('%s', {column}) AS INTEGER) * 1000000 "
        f"+ CAST(substr({column}, 21, 6) AS INTEGER))"
    )


def time_writer(conn: Connection) -> Callable[[datetime | None], Any]:
    """The function turning an aware datetime into what this backend's driver should bind."""
    return pg_time if is_pg(conn) else sqlite_time


MIN_MICROS = -62_135_596_800_000_000
"""0001-01-01 00:00:00 UTC in µs since the epoch: the earliest time a datetime holds."""
MAX_MICROS = 253_402_300_799_999_999
"""9999-12-31 23:59:59.999999 UTC: the latest."""


def check_micros(
    table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], micros: Collection[str]
) -> None:
    """Refuse a time in µs since the epoch that no datetime can hold (years 1 to 9999, UTC).

    A vendor time such as ``9999-12-31T23:59:59-05:00`` is one: in UTC it falls in the
    year 10000. Written as text by SQLite it would be NULL or unreadable, so it is
    refused, as converting it to a datetime refuses it.

    Raises:
        ValueError: Naming the table, the column and the value.
    """
    for i, column in enumerate(columns):
        if column not in micros:
            continue
        present = [v for row in rows if (v := row[i]) is not None]
        if present and (min(present) < MIN_MICROS or max(present) > MAX_MICROS):
            value = next(v for v in present if not MIN_MICROS <= v <= MAX_MICROS)
            raise ValueError(
                f"{table}.{column}: the time {value} µs after 1970-01-01 UTC is outside "
                "the years 1 to 9999 in UTC"
            )


def from_micros_sql(value: str) -> str:
    """SQLite SQL turning whole microseconds since the epoch (or NULL) into a stored time.

    Gives exactly what :func:`sqlite_time` gives (``YYYY-MM-DD HH:MM:SS.ffffff``), a
    third as costly as formatting the text in Python for each row. The fraction is taken
    modulo one second upwards, so times before 1970 are right too. Values must lie
    within :data:`MIN_MICROS` and :data:`MAX_MICROS` (:func:`check_micros`).
    """
    fraction = f"(({value}) % 1000000 + 1000000) % 1000000"
    return (
        f"strftime('%Y-%m-%d %H:%M:%S', (({value}) - {fraction}) / 1000000, 'unixepoch') "
        f"|| printf('.%06d', {fraction})"
    )


def from_micros_pg(value: str) -> str:
    """PostgreSQL SQL turning whole microseconds since the epoch (or NULL) into a timestamptz.

    Exact for every time :func:`check_micros` admits. An interval times a number goes
    through a double, which holds integers exactly only up to 2**53 µs (year 2255), so
    whole seconds and the microseconds left are added apart: seconds times 10**6 are
    multiples of 64 and stay exact far beyond the year 9999.
    """
    return (
        f"(TIMESTAMPTZ 'epoch' + ({value}) / 1000000 * INTERVAL '1 second' "
        f"+ MOD({value}, 1000000) * INTERVAL '1 microsecond')"
    )


def _datetimes(rows: Sequence[Sequence[Any]], positions: list[int]) -> list[list[Any]]:
    """Rows with the values at ``positions`` turned from µs since the epoch into datetimes."""
    out = []
    for row in rows:
        values = list(row)
        for i in positions:
            if values[i] is not None:
                values[i] = _EPOCH + timedelta(microseconds=values[i])
        out.append(values)
    return out


def insert(
    conn: Connection,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    returning: str | None = None,
    micros: Collection[str] = (),
) -> list[tuple[Any, ...]]:
    """Insert rows in bulk; with ``returning`` (e.g. ``"external_id, id"``), return those.

    ``returning`` names inserted columns and ``id``, the table's serial key. Row values
    must already be in the driver's form (see :func:`time_writer`), except in the
    columns named in ``micros``: times there are whole microseconds since the epoch (or
    None), which SQLite turns into its stored text itself (:func:`from_micros_sql`).
    """
    if not rows:
        return []
    wanted = None if returning is None else _returned_positions(returning, columns)
    names = ", ".join(columns)
    raw: Any = conn.connection.driver_connection
    if micros:
        check_micros(table, columns, rows, micros)
    if is_pg(conn):
        if micros:
            rows = _datetimes(rows, [i for i, c in enumerate(columns) if c in micros])
        with raw.cursor() as cur:
            if wanted is None:
                _copy(cur, table, columns, rows)
                return []
            # COPY cannot return ids, so take them from the table's sequence first and
            # copy the rows with them: one statement fewer per batch than copying into a
            # temp table and ``INSERT … SELECT … RETURNING`` (and 6 % faster, measured;
            # the foreign-key checks PostgreSQL runs for each row dominate either way).
            cur.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, len(rows)],
            )
            ids = [i for (i,) in cur.fetchall()]
            if ids[0] is None:
                raise ValueError(f"table {table} has no serial id column to take ids from")
            with_ids = [(i, *row) for i, row in zip(ids, rows, strict=True)]
            _copy(cur, table, ("id", *columns), with_ids)
            return [tuple(row[i] for i in wanted) for row in with_ids]
    limit = raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    most = max(1, min(limit, 32_000) // len(columns))
    marks = "(" + ",".join("?" * len(columns)) + ")"
    tail = f" RETURNING {returning}" if returning else ""
    head = f"INSERT INTO {table} ({names}) VALUES "
    if micros:  # each VALUES row's columns are column1, column2, … to the SELECT
        values = ", ".join(
            from_micros_sql(f"column{n}") if c in micros else f"column{n}"
            for n, c in enumerate(columns, 1)
        )
        head = f"INSERT INTO {table} ({names}) SELECT {values} FROM (VALUES "
        tail = ")" + tail
    out: list[tuple[Any, ...]] = []
    start = 0
    for size in _chunk_sizes(len(rows), most):
        chunk = rows[start : start + size]
        start += size
        cursor = raw.execute(
            f"{head}{','.join([marks] * size)}{tail}",
            [value for row in chunk for value in row],
        )
        if returning:
            out.extend(cursor.fetchall())
        cursor.close()
    return out


def _copy(cur: Any, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _returned_positions(returning: str, columns: Sequence[str]) -> list[int]:
    """Positions in an ``(id, *columns)`` row of the names in ``returning`` (``"ext, id"``).

    Raises:
        ValueError: a name is neither ``id`` nor one of the inserted columns.
    """
    positions = []
    for name in (n.strip() for n in returning.split(",")):
        if name == "id":
            positions.append(0)
        elif name in columns:
            positions.append(1 + list(columns).index(name))
        else:
            raise ValueError(f"returning names {name!r}, which is neither id nor inserted")
    return positions


def _chunk_sizes(total: int, most: int) -> list[int]:
    """Split ``total`` rows into chunks whose sizes are powers of two up to ``most``.

    Few distinct sizes mean few distinct statements: the driver caches every prepared
    statement it sees, and a cached statement with thousands of parameters is large.
    """
    top = 1 << (most.bit_length() - 1)
    sizes = [top] * (total // top)
    rest = total % top
    while rest:
        size = 1 << (rest.bit_length() - 1)
        sizes.append(size)
        rest -= size
    return sizes


def select_in(conn: Connection, sql: str, column: str, values: Sequence[Any]) -> list[Any]:
    """Rows of ``sql`` (which ends in ``WHERE`` or ``AND``) whose ``column`` is in ``values``.

    One bound parameter however many values: a JSON array (the driver sends one string;
    array parameters are dumped element by element in Python).
    """
    if not values:
        return []
    raw: Any = conn.connection.driver_connection
    payload = json.dumps(list(values))
    if is_pg(conn):
        cast = "::bigint" if isinstance(values[0], int) else ""
        with raw.cursor() as cur:
            cur.execute(
                f"{sql} {column} IN (SELECT value{cast} FROM jsonb_array_elements_text(%s::jsonb))",
                [payload],
            )
            return list(cur.fetchall())
    cursor = raw.execute(f"{sql} {column} IN (SELECT value FROM json_each(?))", [payload])
    try:
        return list(cursor.fetchall())
    finally:
        cursor.close()


def scan(conn: Connection, columns: Sequence[str], table: str, where: str) -> Iterator[Any]:
    """Every row of ``SELECT columns FROM table WHERE where`` as raw driver tuples.

    Raw rows skip SQLAlchemy's per-row processing. On SQLite each row fetched releases
    and re-takes the interpreter lock, so call this when no other thread of the process
    is busy (the sync reads its key index while the fetch runs in its own process).
    """
    cursor = rows(conn, f"SELECT {', '.join(columns)} FROM {table} WHERE {where}")
    try:
        yield from cursor
    finally:
        cursor.close()


def rows(conn: Connection, sql: str) -> Any:
    """A driver cursor over a query without parameters (no type conversion: the fastest read)."""
    raw: Any = conn.connection.driver_connection
    cursor = raw.cursor()
    cursor.execute(sql)
    return cursor
