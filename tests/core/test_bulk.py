"""Bulk writes and reads below the ORM read back exactly like ORM rows, on both backends."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from app.core import bulk
from app.people.models import Person
from connectors.rows import micros

T = datetime(2026, 11, 25, 9, 30, 15, 123456, tzinfo=UTC)


def _people(n: int) -> list[tuple[object, ...]]:
    return [(f"p{i}@acme.test", f"Person {i}", "active", T, T) for i in range(n)]


def test_insert_returning_gives_every_new_id_and_rows_read_back_through_the_orm(
    session: Session,
) -> None:
    conn = session.connection()
    write = bulk.time_writer(conn)
    rows = [(e, n, s, write(a), write(b)) for e, n, s, a, b in _people(5)]
    returned = bulk.insert(
        conn, "person", ("email", "display_name", "status", "created_at", "updated_at"), rows,
        returning="email, id",
    )  # fmt: skip
    assert sorted(e for e, _ in returned) == sorted(r[0] for r in rows)
    people = session.exec(select(Person).order_by(Person.email)).all()  # type: ignore[arg-type]
    assert [(p.id, p.email) for p in people] == sorted((i, e) for e, i in returned)
    assert {p.created_at for p in people} == {T}


def test_scan_reads_every_row_and_times_compare_as_microseconds(
    session: Session,
) -> None:
    conn = session.connection()
    write = bulk.time_writer(conn)
    rows = [(e, n, s, write(a), write(b)) for e, n, s, a, b in _people(7)]
    bulk.insert(conn, "person", ("email", "display_name", "status", "created_at", "updated_at"),
                rows)  # fmt: skip
    got = list(
        bulk.scan(conn, ("id", "email", bulk.micros_sql(conn, "created_at")), "person",
                  "status = 'active'")
    )  # fmt: skip
    assert sorted(r[1] for r in got) == sorted(r[0] for r in rows)
    assert {r[2] for r in got} == {micros(T)}


def test_select_in_finds_by_text_and_by_id(session: Session) -> None:
    conn = session.connection()
    write = bulk.time_writer(conn)
    rows = [(e, n, s, write(a), write(b)) for e, n, s, a, b in _people(4)]
    ids = dict(
        bulk.insert(conn, "person", ("email", "display_name", "status", "created_at",
                    "updated_at"), rows, returning="email, id")
    )  # fmt: skip
    by_mail = bulk.select_in(conn, "SELECT email FROM person WHERE", "email", ["p1@acme.test"])
    assert by_mail == [("p1@acme.test",)]
    by_id = bulk.select_in(conn, "SELECT email FROM person WHERE", "id", [ids["p2@acme.test"]])
    assert by_id == [("p2@acme.test",)]
    assert bulk.select_in(conn, "SELECT email FROM person WHERE", "email", []) == []


def test_naive_times_are_refused_naming_the_value() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        micros(datetime(2026, 1, 1))


@pytest.mark.parametrize(("total", "most"), [(0, 8), (1, 8), (10_000, 2461), (7, 1), (33, 32)])
def test_chunk_sizes_cover_every_row_with_few_distinct_sizes(total: int, most: int) -> None:
    sizes = bulk._chunk_sizes(total, most)
    assert sum(sizes) == total and all(0 < s <= most for s in sizes)
    assert all(s & (s - 1) == 0 for s in sizes)


def test_returning_a_column_that_was_not_inserted_is_refused_by_name(session: Session) -> None:
    conn = session.connection()
    write = bulk.time_writer(conn)
    rows = [(e, n, s, write(a), write(b)) for e, n, s, a, b in _people(2)]
    with pytest.raises(ValueError, match="'department'"):
        bulk.insert(conn, "person", ("email", "display_name", "status", "created_at",
                    "updated_at"), rows, returning="email, department")  # fmt: skip
    assert session.exec(select(Person)).all() == []


def test_ids_are_taken_in_row_order_and_later_inserts_continue_the_sequence(
    session: Session,
) -> None:
    conn = session.connection()
    write = bulk.time_writer(conn)
    columns = ("email", "display_name", "status", "created_at", "updated_at")
    first = bulk.insert(
        conn, "person", columns, [(e, n, s, write(a), write(b)) for e, n, s, a, b in _people(3)],
        returning="id, email",
    )  # fmt: skip
    session.add(Person(email="orm@acme.test", status="active"))
    session.flush()
    orm_id = session.exec(select(Person.id).where(Person.email == "orm@acme.test")).one()
    assert orm_id is not None and orm_id > max(i for i, _ in first)
    assert [e for _, e in first] == ["p0@acme.test", "p1@acme.test", "p2@acme.test"]
    stored = dict(session.exec(select(Person.email, Person.id)).all())  # type: ignore[arg-type]
    assert all(stored[e] == i for i, e in first)


TIMES = [
    T,
    datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),  # before the epoch
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2000, 2, 29, tzinfo=UTC),
]


@pytest.mark.parametrize("returning", [None, "email, id"])
def test_times_given_as_microseconds_read_back_like_times_written_by_the_orm(
    session: Session, returning: str | None
) -> None:
    conn = session.connection()
    columns = ("email", "display_name", "status", "created_at", "updated_at")
    rows = [(f"p{i}@acme.test", None, "active", micros(t), micros(T)) for i, t in enumerate(TIMES)]
    returned = bulk.insert(
        conn, "person", columns, rows, returning=returning, micros=("created_at", "updated_at")
    )
    assert len(returned) == (len(rows) if returning else 0)
    session.add(Person(email="orm@acme.test", status="active", created_at=T, updated_at=T))
    session.flush()
    people = session.exec(select(Person).order_by(Person.email)).all()  # type: ignore[arg-type]
    assert [p.created_at for p in people] == [T, *TIMES]
    # Stored alike, so they compare (and sort) alike in SQL.
    stored = conn.exec_driver_sql(
        "SELECT COUNT(DISTINCT updated_at) FROM person WHERE updated_at = "
        "(SELECT updated_at FROM person WHERE email = 'orm@acme.test')"
    ).scalar()
    assert stored == 1
    same = conn.exec_driver_sql("SELECT COUNT(*) FROM person WHERE updated_at = created_at")
    assert same.scalar() == 2


def test_a_null_time_given_as_microseconds_stays_null(session: Session) -> None:
    conn = session.connection()
    kind = "TIMESTAMPTZ" if bulk.is_pg(conn) else "TEXT"
    conn.exec_driver_sql(f"CREATE TEMP TABLE sw_test_times (n INTEGER, at {kind})")
    bulk.insert(conn, "sw_test_times", ("n", "at"), [(1, None), (2, micros(T))], micros=("at",))
    rows = conn.exec_driver_sql("SELECT n, at FROM sw_test_times ORDER BY n").all()
    assert rows[0][1] is None and rows[1][1] is not None


@pytest.mark.parametrize("value", [bulk.MAX_MICROS + 1, bulk.MIN_MICROS - 1])
def test_a_time_no_datetime_can_hold_is_refused_naming_the_column(
    session: Session, value: int
) -> None:
    # 9999-12-31T23:59:59-05:00 is such a time: in UTC it falls in the year 10000.
    conn = session.connection()
    columns = ("email", "status", "created_at", "updated_at")
    with pytest.raises(ValueError, match=r"person\.created_at: the time .* outside the years"):
        bulk.insert(
            conn, "person", columns, [("x@acme.test", "active", value, micros(T))],
            micros=("created_at", "updated_at"),
        )  # fmt: skip
    edges = [("a@acme.test", "active", bulk.MIN_MICROS, bulk.MAX_MICROS)]
    bulk.insert(conn, "person", columns, edges, micros=("created_at", "updated_at"))
    person = session.exec(select(Person)).one()
    assert person.created_at == datetime(1, 1, 1, tzinfo=UTC)
    assert person.updated_at == datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)


def test_microseconds_turn_into_stored_times_exactly_in_sql(session: Session) -> None:
    """Every admitted time, also past 2**53 µs, where a double would round it."""
    conn = session.connection()
    pg = bulk.is_pg(conn)
    rng = random.Random(7)
    values = [micros(t) for t in TIMES] + [
        rng.randint(bulk.MIN_MICROS, bulk.MAX_MICROS) for _ in range(200)
    ]
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    wrong = []
    for value in values:
        sql = bulk.from_micros_pg(str(value)) if pg else bulk.from_micros_sql(str(value))
        got = conn.exec_driver_sql(f"SELECT {sql}").scalar()
        expected = epoch + timedelta(microseconds=value)
        if got != (expected if pg else bulk.sqlite_time(expected)):
            wrong.append((value, got, expected))
    assert not wrong, wrong[:5]
