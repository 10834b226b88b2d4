"""Records as batches of plain rows: the form a sync moves and compares them in.

A large tenant streams hundreds of thousands of accounts and seats. Between the fetch
process and the database side (``app.sync.pipeline``) each one is serialised once and
read back once, and the applier compares each with its key index. Plain tuples of
strings, booleans and integers make all three cheap: ``marshal`` writes and reads them
several times faster than ``pickle`` writes and rebuilds named tuples, and a row's values
hash in one C call. Times are whole microseconds since the epoch — the form the key index
compares — and stay so until written (``app.core.bulk.insert``: SQLite formats them in
SQL, PostgreSQL gets datetimes).

Rows keep the records' field order:

- account row: ``(external_id, email, display_name, status, is_guest, is_admin,
  department, created_at µs, last_active_at µs, activity_known)``
- seat row: ``(account_external_id, product_external_id, assigned_at µs)``

Products, usage days and warnings are rare next to accounts and seats; they travel as
themselves in ``others``. A batch is applied others first (a product a seat names is then
known), then accounts, then seats. :meth:`connectors.base.Connector.batches` gives a
connector's stream in this form; a connector may build rows directly (Microsoft 365 does,
for speed) and derive its ``fetch()`` from them with :func:`records`. A sync reads
:meth:`connectors.base.Connector.pages`, which may also hand on pages still to be
mapped to batches (Microsoft 365 hands on Graph's pages unparsed).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base import AccountRecord, AssignmentRecord, Record

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def micros(value: datetime | None) -> int | None:
    """An aware time as whole microseconds since the epoch (what rows carry).

    Raises:
        ValueError: ``value`` is naive (ambiguous; Seatwise stores aware UTC times).
    """
    if value is None:
        return None
    try:
        return (value - EPOCH) // MICROSECOND
    except TypeError:
        raise ValueError(
            f"naive datetime {value!r} given; Seatwise stores aware UTC times"
        ) from None


CHUNK = 2000
"""Records per chunk: large enough that per-message costs vanish, small enough
that the applier starts comparing while the fetch is still running."""

AccountRow = tuple[Any, ...]
SeatRow = tuple[str, str, int | None]


@dataclass(slots=True)
class Chunk:
    """A slice of the record stream, in the applier's order (see the module docstring)."""

    accounts: list[AccountRow]
    seats: list[SeatRow]
    others: list[Record]

    @property
    def count(self) -> int:
        """The number of records in the chunk, for progress reports."""
        return len(self.accounts) + len(self.seats) + len(self.others)


def chunked(records: Iterable[Record], size: int = CHUNK) -> Iterator[Chunk]:
    """The stream as chunks of at most ``size`` records.

    Raises:
        ValueError: a record carries a naive datetime (Seatwise stores aware UTC times).
    """
    us = micros
    accounts: list[AccountRow] = []
    seats: list[SeatRow] = []
    others: list[Record] = []
    stream = iter(records)
    try:
        for record in stream:
            kind = type(record)
            if kind is AccountRecord:
                ext, email, name, status, guest, admin, dept, made, last, known = record  # type: ignore[misc]
                accounts.append(
                    (ext, email, name, status, guest, admin, dept,
                     None if made is None else us(made), None if last is None else us(last),
                     known)
                )  # fmt: skip
            elif kind is AssignmentRecord:
                ext, product, at = record  # type: ignore[misc]
                seats.append((ext, product, None if at is None else us(at)))
            else:  # usage days can outnumber accounts: they count towards the size too
                others.append(record)
            if len(accounts) + len(seats) + len(others) >= size:
                yield Chunk(accounts, seats, others)
                accounts, seats, others = [], [], []
        if accounts or seats or others:
            yield Chunk(accounts, seats, others)
    finally:
        close = getattr(stream, "close", None)
        if close is not None:  # stopped early: end the connector's generator now
            close()


def from_micros(value: int | None) -> datetime | None:
    """A time in whole microseconds since the epoch back as an aware UTC datetime."""
    return None if value is None else EPOCH + timedelta(microseconds=value)


def records(chunk: Chunk) -> list[Record]:
    """The chunk's records as typed records again, in the chunk's order (for tests and tools)."""
    t = from_micros
    out: list[Record] = list(chunk.others)
    out.extend(
        AccountRecord(a[0], a[1], a[2], a[3], a[4], a[5], a[6], t(a[7]), t(a[8]), a[9])
        for a in chunk.accounts
    )
    out.extend(AssignmentRecord(ext, product, t(at)) for ext, product, at in chunk.seats)
    return out
