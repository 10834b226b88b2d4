"""Snapshot semantics over several runs: removal is stamped once, restore reuses the row.

The other snapshot tests run at most one run after a removal. A sync runs every day,
so a removed account or seat meets many runs that do not report it either: each must
leave ``removed_at`` at the time of the run that first missed it (the day someone left
is what leaver findings and audits read) and count nothing removed again — the
"second identical run changes nothing" rule, for a snapshot that lost something.
Each case runs with the stored key index (as a Microsoft 365 sync does) and with the
index scanned from the tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from app.people.models import Account, Assignment, Person
from app.sync.apply import SnapshotApplier
from connectors.base import AccountRecord, AssignmentRecord, ProductRecord, Record
from tests.sync.conftest import inventory_state
from tests.sync.test_snapshot_identity import _connector

DAY1 = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)


def _day(n: int) -> datetime:
    return DAY1 + timedelta(days=n - 1)


def _run(
    engine: Any, connector_id: int, records: list[Record], stamp: datetime, keep_index: bool
) -> dict[str, int]:
    with Session(engine) as session, session.begin():
        applier = SnapshotApplier(
            session=session, connector_id=connector_id, kind="microsoft365",
            identity_provider=True, stamp=stamp, keep_index=keep_index,
        )  # fmt: skip
        applier.add_many(records)
        counts, _ = applier.finish()
    return counts


def _tenant(seats: Mapping[str, tuple[str, ...]]) -> list[Record]:
    """Products E3 and E5, and each user with the licences named."""
    out: list[Record] = [
        ProductRecord(external_id="sku-e3", name="E3", sku="SPE_E3", seats_purchased=10),
        ProductRecord(external_id="sku-e5", name="E5", sku="SPE_E5", seats_purchased=10),
    ]
    for user, skus in seats.items():
        out.append(
            AccountRecord(
                external_id=f"id-{user}", email=f"{user}@example.com", display_name=user.title(),
                status="active", department="Sales", last_active_at=_day(1),
            )
        )  # fmt: skip
        out += [AssignmentRecord(f"id-{user}", s) for s in skus]
    return out


def _accounts(engine: Any) -> dict[str, Account]:
    with Session(engine) as s:
        return {a.external_id: a for a in s.exec(select(Account))}


def _seats(engine: Any) -> dict[tuple[str, str], Assignment]:
    with Session(engine) as s:
        rows = s.exec(
            select(Account.external_id, Assignment).join(
                Assignment,
                Assignment.account_id == Account.id,  # type: ignore[arg-type]
            )
        ).all()
        products = {p_id: ext for p_id, ext in s.exec(select_products())}
    return {(ext, products[seat.product_id]): seat for ext, seat in rows}


def select_products() -> Any:
    from app.inventory.models import Product

    return select(Product.id, Product.external_id)


FULL = {"ann": ("sku-e3", "sku-e5"), "bob": ("sku-e3",)}


@pytest.mark.parametrize("keep_index", [True, False], ids=["stored-index", "scanned-index"])
def test_a_removed_account_keeps_the_time_it_was_first_missed_through_later_runs(
    committed_db: Any, keep_index: bool
) -> None:
    engine = committed_db.engine
    m365 = _connector(engine, "m365", "microsoft365", True)
    _run(engine, m365, _tenant(FULL), _day(1), keep_index)
    gone = _run(engine, m365, _tenant({"ann": FULL["ann"]}), _day(2), keep_index)
    assert (gone["accounts_removed"], gone["assignments_removed"]) == (1, 1)
    after_removal = inventory_state(engine)

    for n in (3, 4):  # bob is still gone: nothing is removed again, nothing changes
        again = _run(engine, m365, _tenant({"ann": FULL["ann"]}), _day(n), keep_index)
        assert (again["accounts_removed"], again["assignments_removed"]) == (0, 0), n
        assert again["accounts_updated"] == again["accounts_added"] == 0, n
        assert inventory_state(engine) == after_removal, n
    bob = _accounts(engine)["id-bob"]
    assert bob.removed_at == _day(2) and bob.last_seen_at == _day(1)
    assert _seats(engine)[("id-bob", "sku-e3")].removed_at == _day(2)

    back = _run(engine, m365, _tenant(FULL), _day(5), keep_index)
    assert (back["accounts_restored"], back["assignments_restored"]) == (1, 1)
    assert back["accounts_added"] == back["assignments_added"] == back["persons_created"] == 0
    restored = _accounts(engine)["id-bob"]
    assert restored.id == bob.id and restored.person_id == bob.person_id
    assert restored.removed_at is None and restored.first_seen_at == _day(1)
    seat = _seats(engine)[("id-bob", "sku-e3")]
    assert seat.removed_at is None and seat.first_seen_at == _day(1)


@pytest.mark.parametrize("keep_index", [True, False], ids=["stored-index", "scanned-index"])
def test_a_licence_taken_away_and_given_back_is_one_seat_removed_then_restored(
    committed_db: Any, keep_index: bool
) -> None:
    engine = committed_db.engine
    m365 = _connector(engine, "m365", "microsoft365", True)
    _run(engine, m365, _tenant(FULL), _day(1), keep_index)
    before = _seats(engine)[("id-ann", "sku-e5")]
    fewer = {"ann": ("sku-e3",), "bob": ("sku-e3",)}
    gone = _run(engine, m365, _tenant(fewer), _day(2), keep_index)
    assert (gone["accounts_removed"], gone["assignments_removed"]) == (0, 1)
    again = _run(engine, m365, _tenant(fewer), _day(3), keep_index)
    assert again["assignments_removed"] == again["assignments_added"] == 0
    seats = _seats(engine)
    assert seats[("id-ann", "sku-e5")].removed_at == _day(2)
    assert seats[("id-ann", "sku-e3")].removed_at is None
    assert _accounts(engine)["id-ann"].removed_at is None  # the account stays

    back = _run(engine, m365, _tenant(FULL), _day(4), keep_index)
    assert (back["assignments_restored"], back["assignments_added"]) == (1, 0)
    seat = _seats(engine)[("id-ann", "sku-e5")]
    assert seat.id == before.id and seat.removed_at is None and seat.first_seen_at == _day(1)
    assert len(_seats(engine)) == 3


def test_a_restored_account_finds_its_person_by_normalised_email(committed_db: Any) -> None:
    # While the account was gone another source made its person known; the account comes
    # back with its e-mail in another case and is matched to that person, not a new one.
    engine = committed_db.engine
    m365 = _connector(engine, "m365", "microsoft365", True)
    _run(engine, m365, _tenant(FULL), _day(1), True)
    _run(engine, m365, _tenant({"ann": FULL["ann"]}), _day(2), True)
    shouting = [
        AccountRecord(
            external_id=r.external_id, email=" BOB@Example.COM ", display_name="Bob",
            status="active", department="Sales", last_active_at=_day(3),
        )
        if isinstance(r, AccountRecord) and r.external_id == "id-bob" else r
        for r in _tenant(FULL)
    ]  # fmt: skip
    back = _run(engine, m365, shouting, _day(3), True)
    assert back["accounts_restored"] == 1 and back["persons_created"] == 0
    with Session(engine) as s:
        persons = {p.email: p.id for p in s.exec(select(Person))}
    assert set(persons) == {"ann@example.com", "bob@example.com"}
    assert _accounts(engine)["id-bob"].person_id == persons["bob@example.com"]


@pytest.mark.parametrize("keep_index", [True, False], ids=["stored-index", "scanned-index"])
def test_a_department_change_reaches_the_account_and_the_identity_providers_person(
    committed_db: Any, keep_index: bool
) -> None:
    # Only the department changes (same e-mail and name): the account must not take the
    # shortcut that keeps its stored person values, which leaves the department as it was.
    engine = committed_db.engine
    m365 = _connector(engine, "m365", "microsoft365", True)
    _run(engine, m365, _tenant(FULL), _day(1), keep_index)
    moved = [
        AccountRecord(
            external_id=r.external_id, email=r.email, display_name=r.display_name,
            status=r.status, department="R&D", last_active_at=r.last_active_at,
        )
        if isinstance(r, AccountRecord) and r.external_id == "id-ann" else r
        for r in _tenant(FULL)
    ]  # fmt: skip
    counts = _run(engine, m365, moved, _day(2), keep_index)
    assert counts["accounts_updated"] == 1 and counts["persons_created"] == 0
    ann = _accounts(engine)["id-ann"]
    with Session(engine) as s:
        person = s.get(Person, ann.person_id)
    assert ann.department == "R&D"
    assert person is not None and person.department == "R&D"
    again = _run(engine, m365, moved, _day(3), keep_index)
    assert again["accounts_updated"] == 0
