"""Engine, sessions and the column types every table shares.

Transactions are owned at the edge (request, CLI command, job): services only flush.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect, Engine
from sqlmodel import Session, SQLModel, create_engine

from app.core.errors import DeadlockError, NotFoundError, from_database_error

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION

MONEY_SCALE = 4
MONEY = sa.Numeric(18, MONEY_SCALE)
"""Money column type: exact decimals (SQLite round-trips through SQLAlchemy's scale)."""
MAX_MONEY = Decimal(10) ** 14
"""Amounts must stay below this: ``MONEY`` holds 14 digits before the decimal point."""
EXACT_DIGITS = 15
"""SQLite keeps NUMERIC values as doubles, exact to 15 significant digits (as Excel is)."""


def inexact(value: Decimal, *, scale: int) -> str | None:
    """Why ``value`` would not come back from a column of ``scale`` decimals as given, on
    either backend, or None. PostgreSQL rounds extra decimals away and SQLite keeps 15
    significant digits, both silently, so such a value is refused where it is typed."""
    if not value.is_finite():
        return "is not a number"
    digits, exponent = value.normalize().as_tuple()[1:]
    if isinstance(exponent, int) and exponent < -scale:
        return f"has more than {scale} decimal places"
    if len(digits) > EXACT_DIGITS:
        return (
            f"has more than {EXACT_DIGITS} significant digits, more than a spreadsheet or "
            "Seatwise keeps exactly; round it"
        )
    return None


JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every backend.

    SQLite has no time zone type, so values are normalised to UTC on the way in and
    given back their UTC ``tzinfo`` on the way out; naive input is refused because it
    is ambiguous.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given; Seatwise stores aware UTC times")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def money(value: Any) -> Decimal | None:
    """Coerce a stored money value to ``Decimal`` (None stays None)."""
    if value is None:
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


SQLITE_BUSY_MS = 30_000
"""How long a statement on SQLite waits for another connection's write lock (ms)."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
    cursor.close()


@contextmanager
def sqlite_patience(conn: sa.Connection, seconds: float) -> Iterator[None]:
    """Let statements on this SQLite connection wait ``seconds`` for the write lock.

    Instead of :data:`SQLITE_BUSY_MS`: a caller that waits out another writer in short
    tries (Ctrl-C works between them, not during the driver's own wait) sets each try's
    length here, a best-effort write a moment's wait (see :func:`lock_patience` for both
    backends). The usual patience comes back after. Does nothing on other databases.
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    raw: Any = conn.connection.driver_connection
    raw.execute(f"PRAGMA busy_timeout={max(1, round(seconds * 1000))}")
    try:
        yield
    finally:
        # An interrupt (Ctrl-C) during the wait closes the connection: nothing to restore.
        with suppress(sqlite3.ProgrammingError):
            raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")


@contextmanager
def lock_patience(conn: sa.Connection, seconds: float) -> Iterator[None]:
    """Let statements on this connection wait ``seconds`` for a lock another one holds.

    SQLite: the write lock (:func:`sqlite_patience`). PostgreSQL: ``lock_timeout`` for
    this transaction, set back after; a statement that timed out has ended the
    transaction, so there is nothing to set back then.
    """
    if conn.dialect.name != "postgresql":
        with sqlite_patience(conn, seconds):
            yield
        return
    before = conn.execute(sa.text("SELECT current_setting('lock_timeout')")).scalar()
    set_timeout = sa.text("SELECT set_config('lock_timeout', :t, true)")
    conn.execute(set_timeout, {"t": f"{round(seconds * 1000)}ms"})
    yield
    conn.execute(set_timeout, {"t": before})


DEADLOCK_ATTEMPTS = 3
_Result = TypeVar("_Result")


def retrying_deadlocks(
    session: Session, work: Callable[[], _Result], attempts: int = DEADLOCK_ATTEMPTS
) -> _Result:
    """Run ``work`` in the session's transaction; after a deadlock, roll back and run it again.

    For a change whose input is all in hand (an uploaded file): a deadlock with a sync
    writing the same names is the database's choice of a victim, not the user's error,
    so the import tries again (after a short random pause, so the two do not meet again
    in step) before it answers 503. ``work`` must be the transaction's whole change:
    everything before it in the transaction is rolled back with it.
    """
    for attempt in range(1, attempts):
        try:
            return work()
        except (sa.exc.OperationalError, DeadlockError) as exc:
            known = exc if isinstance(exc, DeadlockError) else from_database_error(exc)
            if not isinstance(known, DeadlockError):
                raise
            session.rollback()
            time.sleep(random.uniform(0.05, 0.25) * attempt)
    return work()


def make_engine(database_url: str, **kwargs: Any) -> Engine:
    """Create an engine with the pragmas and pool settings Seatwise relies on."""
    url = sa.make_url(database_url)
    if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() == "sqlite":
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session committing on success and rolling back on error (the CLI/job edge)."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def contains_text(search: str, *columns: Any) -> Any:
    """A case-insensitive "contains" over ``columns`` (any of them), or None for no text.

    ``%`` and ``_`` in the text match themselves: someone searching "a_b" means that.
    """
    text = search.strip().lower()
    if not text:
        return None
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return sa.or_(*(sa.func.lower(c).like(pattern, escape="\\") for c in columns))


_Row = TypeVar("_Row", bound=SQLModel)
MAX_ROW_ID = 2**31 - 1
"""The largest id a table's ``INTEGER`` key holds on PostgreSQL (SQLite holds more)."""


def get_row(session: Session, model: type[_Row], row_id: int, what: str) -> _Row:
    """The row of ``model`` with this id.

    Raises:
        NotFoundError: naming ``what`` and the id (also for an id no row can have).
    """
    row = session.get(model, row_id) if 0 <= row_id <= MAX_ROW_ID else None
    if row is None:
        raise NotFoundError(f"no {what} with id {row_id}")
    return row


def same_name(column: Any, name: str) -> Any:
    """``column`` equals ``name`` ignoring case: exactly, or lower-cased on both sides.

    SQLite's ``lower()`` folds ASCII letters only, so "Ünïcødé" lower-cased there differs
    from Python's; the exact match keeps such a name from being taken for a new one.
    """
    return sa.or_(column == name, sa.func.lower(column) == name.lower())
