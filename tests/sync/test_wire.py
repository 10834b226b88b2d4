"""Records survive the trip from the fetch process to the applier exactly."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from app.sync.wire import decode, encode
from connectors.base import (
    AccountRecord,
    AssignmentRecord,
    ProductRecord,
    Record,
    SyncWarning,
    UsageRecord,
)
from connectors.rows import Chunk, chunked, records

T = datetime(2026, 11, 25, 9, 0, 0, 123456, tzinfo=UTC)


def test_rows_carry_times_as_epoch_microseconds() -> None:
    (chunk,) = chunked(
        [
            AccountRecord("a", "a@acme.test", "A", "active", created_at=T, last_active_at=None),
            AssignmentRecord("a", "sku", T),
        ]
    )
    stamp = int((T - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()) * 1_000_000 + 123456
    assert chunk.accounts == [
        ("a", "a@acme.test", "A", "active", False, False, None, stamp, None, True)
    ]
    assert chunk.seats == [("a", "sku", stamp)]


def test_times_in_other_zones_arrive_as_the_same_instant() -> None:
    paris = T.astimezone(timezone(timedelta(hours=1)))
    (chunk,) = chunked([AccountRecord("a", None, None, "active", last_active_at=paris)])
    (account,) = records(chunk)
    assert isinstance(account, AccountRecord)
    assert account.last_active_at == T and account.last_active_at.utcoffset() == timedelta(0)


def test_a_naive_time_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        list(chunked([AccountRecord("a", None, None, "active", created_at=datetime(2026, 1, 1))]))


def test_chunks_hold_at_most_size_records_of_any_kind() -> None:
    stream: list[Record] = [ProductRecord(external_id="sku", name="E3")]
    for i in range(25):
        stream += [AccountRecord(f"u{i}", None, None, "active"), AssignmentRecord(f"u{i}", "sku")]
    stream += [UsageRecord(f"u{i % 25}", "sku", date(2026, 11, 1), {"n": i}) for i in range(35)]
    stream.append(SyncWarning("no sign-in data"))
    chunks = list(chunked(stream, size=10))
    assert [c.count for c in chunks] == [10] * 8 + [7]
    assert chunks[0].others == [ProductRecord(external_id="sku", name="E3")]
    assert chunks[-1].others[-1] == SyncWarning("no sign-in data")
    got = [r for c in chunks for r in records(c)]
    for kind in (ProductRecord, AccountRecord, AssignmentRecord, UsageRecord, SyncWarning):
        assert [r for r in got if type(r) is kind] == [r for r in stream if type(r) is kind]


@pytest.mark.parametrize("plain", [True, False])
def test_encode_and_decode_round_trip_every_record_kind(plain: bool) -> None:
    usage = UsageRecord("u1", None, date(2026, 11, 24), {"emails": 3})
    chunk = Chunk(
        accounts=[("u1", "u1@acme.test", "Ü Name", "suspended", True, False, "R&D", 1, 2, False)],
        seats=[("u1", "sku", None)],
        others=[ProductRecord(external_id="sku", name="E3", seats_purchased=5), usage],
    )
    data = encode(chunk, plain=plain)
    assert data[:1] == (b"M" if plain else b"P")
    assert decode(data) == chunk
    assert decode(encode("done")) == "done"


class Name(str):
    """A str subclass, as a third-party connector might yield: marshal refuses it."""


def test_a_value_marshal_refuses_sends_the_chunk_by_pickle_even_when_plain() -> None:
    row = ("u1", None, Name("A"), "active", False, False, None, None, None, True)
    data = encode(Chunk(accounts=[row], seats=[], others=[]), plain=True)
    assert data[:1] == b"P"
    assert type(decode(data).accounts[0][2]) is Name
