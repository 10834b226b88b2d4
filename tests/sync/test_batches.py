"""Applying a run batch by batch (while the fetch is still going) equals applying it at once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import Session, select

from app.core.db import utcnow
from app.people.models import Account, Assignment, Person
from app.sync import apply
from app.sync.apply import SnapshotApplier
from connectors.base import AccountRecord, AssignmentRecord, ProductRecord, Record
from tests.sync.test_snapshot_identity import _connector, _tenant


def _run(engine: Any, connector_id: int, records: list[Record]) -> tuple[dict, list[str]]:
    with Session(engine) as session, session.begin():
        applier = SnapshotApplier(
            session=session, connector_id=connector_id, kind="microsoft365",
            identity_provider=True, stamp=utcnow(),
        )  # fmt: skip
        applier.add_many(records)
        return applier.finish()


def _m365_in_batches_of(
    size: int, committed_db: Any, monkeypatch: pytest.MonkeyPatch
) -> tuple[Any, int]:
    """The engine and a Microsoft 365 connector whose runs apply ``size`` records a batch."""
    monkeypatch.setattr(apply, "BATCH", size)
    engine = committed_db.engine
    return engine, _connector(engine, "m365", "microsoft365", True)


def _state(engine: Any) -> tuple[list[Any], ...]:
    with Session(engine) as s:
        accounts = sorted(
            (a.external_id, a.email, a.removed_at is None) for a in s.exec(select(Account))
        )
        seats = sorted(
            (a.account_id, a.product_id, a.removed_at is None) for a in s.exec(select(Assignment))
        )
        persons = sorted((p.email, p.display_name, p.status) for p in s.exec(select(Person)))
    return accounts, seats, persons


def test_tiny_batches_give_the_counts_of_one_batch_and_a_second_run_changes_nothing(
    committed_db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, m365 = _m365_in_batches_of(2, committed_db, monkeypatch)
    counts, warnings = _run(engine, m365, _tenant("ann", "bob", "cid", "dan", "eve"))
    assert warnings == []
    assert counts["accounts"] == counts["accounts_added"] == 5
    assert counts["assignments"] == counts["assignments_added"] == 5
    assert counts["persons_created"] == 5
    before = _state(engine)
    again, _ = _run(engine, m365, _tenant("ann", "bob", "cid", "dan", "eve"))
    assert _state(engine) == before
    assert again["accounts_added"] == again["accounts_updated"] == again["accounts_removed"] == 0
    assert again["assignments_added"] == again["assignments_removed"] == 0
    gone, _ = _run(engine, m365, _tenant("ann", "cid", "eve"))
    assert gone["accounts_removed"] == gone["assignments_removed"] == 2
    back, _ = _run(engine, m365, _tenant("ann", "bob", "cid", "dan", "eve"))
    assert back["accounts_restored"] == back["assignments_restored"] == 2
    assert back["accounts_updated"] == 0
    assert _state(engine) == before


def test_assignment_listed_before_its_account_and_product_waits_for_them(
    committed_db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, m365 = _m365_in_batches_of(1, committed_db, monkeypatch)
    records: list[Record] = [
        AssignmentRecord(account_external_id="id-ann", product_external_id="sku-e3"),
        ProductRecord(external_id="sku-e3", name="E3"),
        AccountRecord(
            external_id="id-ann", email="ann@example.com", display_name=None, status="active"
        ),
    ]
    counts, warnings = _run(engine, m365, records)
    assert warnings == [] and counts["assignments"] == counts["assignments_added"] == 1


def test_assignment_naming_an_unlisted_account_is_skipped_with_a_warning(
    committed_db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, m365 = _m365_in_batches_of(1, committed_db, monkeypatch)
    records = [
        *_tenant("ann"),
        AssignmentRecord(account_external_id="id-ghost", product_external_id="sku-e3"),
    ]
    counts, warnings = _run(engine, m365, records)
    assert counts["assignments"] == 1
    assert warnings == [
        "1 licence assignment(s) named an account or product the source did not list; "
        "they were skipped."
    ]


def test_account_listed_twice_keeps_its_last_values(
    committed_db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, m365 = _m365_in_batches_of(2, committed_db, monkeypatch)
    records: list[Record] = [
        AccountRecord(
            external_id="id-ann", email="ann@example.com", display_name=None, status="active"
        ),
        AccountRecord(
            external_id="id-ann", email="ann@example.com", display_name=None, status="suspended"
        ),
        AccountRecord(
            external_id="id-bob", email="bob@example.com", display_name=None, status="active"
        ),
        AccountRecord(
            external_id="id-ann", email="ann@example.com", display_name=None, status="deleted"
        ),
    ]
    counts, _ = _run(engine, m365, records)
    assert counts["accounts"] == 2
    with Session(engine) as s:
        ann = s.exec(select(Account).where(Account.external_id == "id-ann")).one()
    assert ann.status == "deleted"


def test_dated_seats_across_batches_pending_and_listed_twice(
    committed_db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A seat waiting for its account keeps its date; a seat listed twice keeps the later one."""
    engine, m365 = _m365_in_batches_of(1, committed_db, monkeypatch)
    early = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    late = datetime(2026, 6, 7, 8, 9, 10, 111213, tzinfo=UTC)
    records: list[Record] = [
        AssignmentRecord("id-ann", "sku-e3", early),  # before its account and product
        ProductRecord(external_id="sku-e3", name="E3"),
        ProductRecord(external_id="sku-e5", name="E5"),
        AccountRecord("id-ann", "ann@example.com", None, "active"),
        AccountRecord("id-bob", "bob@example.com", None, "active"),
        AssignmentRecord("id-bob", "sku-e5", early),
        AssignmentRecord("id-bob", "sku-e5", late),  # listed again, in a later batch
        AssignmentRecord("id-bob", "sku-e5", None),  # no date: keeps the one it has
    ]
    counts, warnings = _run(engine, m365, records)
    assert warnings == [] and counts["assignments"] == counts["assignments_added"] == 2

    def dates() -> dict[str, datetime | None]:
        with Session(engine) as s:
            rows = s.exec(
                select(Account.external_id, Assignment.assigned_at).join(
                    Assignment,
                    Assignment.account_id == Account.id,  # type: ignore[arg-type]
                )
            ).all()
        return dict(rows)

    assert dates() == {"id-ann": early, "id-bob": late}
    before = _state(engine)
    again, _ = _run(engine, m365, records)
    assert _state(engine) == before and dates() == {"id-ann": early, "id-bob": late}
    assert again["assignments_added"] == again["assignments_removed"] == 0
    assert again["accounts_updated"] == again["accounts_added"] == 0


def _ann(email: str, last: datetime) -> AccountRecord:
    return AccountRecord("id-ann", email, "Ann", "active", department="Sales", last_active_at=last)


def _person_of(engine: Any, external_id: str) -> tuple[Any, ...]:
    with Session(engine) as s:
        account = s.exec(select(Account).where(Account.external_id == external_id)).one()
        person = s.get(Person, account.person_id)
        assert person is not None
        return account.last_active_at, person.email, person.display_name


def _ann_synced(
    committed_db: Any, monkeypatch: pytest.MonkeyPatch, email: str, last: datetime
) -> tuple[Any, int]:
    """The engine and a connector synced once with ann alone."""
    engine, m365 = _m365_in_batches_of(10, committed_db, monkeypatch)
    _run(engine, m365, [_ann(email, last)])
    return engine, m365


def test_an_account_keeping_its_person_gets_every_other_changed_value(
    committed_db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = datetime(2026, 11, 1, tzinfo=UTC)
    engine, m365 = _ann_synced(committed_db, monkeypatch, "ann@example.com", first)
    changed = AccountRecord(
        "id-ann", "ann@example.com", "Ann", "suspended", is_guest=True, is_admin=True,
        department="Sales", created_at=datetime(1969, 7, 20, 20, 17, 40, 5, tzinfo=UTC),
        last_active_at=None, activity_known=False,
    )  # fmt: skip
    counts, _ = _run(engine, m365, [changed])
    assert counts["accounts_updated"] == 1 and counts["persons_created"] == 0
    with Session(engine) as s:
        account = s.exec(select(Account)).one()
        person = s.exec(select(Person)).one()
    kept = (account.email, account.display_name, account.department)
    assert kept == ("ann@example.com", "Ann", "Sales")
    flags = (account.status, account.is_guest, account.is_admin, account.activity_known)
    assert flags == ("suspended", True, True, False)
    assert account.vendor_created_at == changed.created_at and account.last_active_at is None
    assert account.person_id == person.id


def test_a_sign_in_change_updates_the_account_and_keeps_its_person(
    committed_db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, later = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    engine, m365 = _ann_synced(committed_db, monkeypatch, "ann@example.com", first)
    with Session(engine) as s:  # a person renamed since (by hand, or by another source)
        person = s.exec(select(Person)).one()
        person.display_name = "Ann Lee"
        s.add(person)
        s.commit()
    counts, _ = _run(engine, m365, [_ann("ann@example.com", later)])
    assert counts["accounts_updated"] == 1 and counts["persons_created"] == 0
    assert _person_of(engine, "id-ann") == (later, "ann@example.com", "Ann Lee")
    counts, _ = _run(engine, m365, [_ann("ann.lee@example.com", later)])
    assert counts["accounts_updated"] == 1 and counts["persons_created"] == 1
    assert _person_of(engine, "id-ann")[1] == "ann.lee@example.com"


def test_an_account_listed_twice_in_a_batch_is_compared_with_what_is_stored(
    committed_db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The second listing equals the first, which changed the e-mail: the person must
    # still follow the new e-mail.
    t = datetime(2026, 11, 1, tzinfo=UTC)
    engine, m365 = _ann_synced(committed_db, monkeypatch, "ann@example.com", t)
    later = datetime(2026, 11, 2, tzinfo=UTC)
    _run(engine, m365, [_ann("ann.lee@example.com", t), _ann("ann.lee@example.com", later)])
    assert _person_of(engine, "id-ann")[:2] == (later, "ann.lee@example.com")


EXTREMES = [
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2026, 11, 24, 8, 0, 0, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
]


def test_changed_times_of_accounts_and_seats_are_stored_exactly(
    committed_db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Updates go through the staging tables (µs since the epoch on PostgreSQL)."""
    engine, m365 = _ann_synced(committed_db, monkeypatch, "ann@example.com", EXTREMES[2])
    product = ProductRecord(external_id="sku-e3", name="E3")
    _run(engine, m365, [product, _ann("ann@example.com", EXTREMES[2])])
    for when in EXTREMES:
        account = AccountRecord(
            "id-ann", "ann@example.com", "Ann", "active", department="Sales",
            created_at=when, last_active_at=when,
        )  # fmt: skip
        counts, _ = _run(
            engine, m365, [product, account, AssignmentRecord("id-ann", "sku-e3", when)]
        )
        assert counts["accounts_updated"] == 1, when
        with Session(engine) as s:
            stored = s.exec(select(Account)).one()
            seat = s.exec(select(Assignment)).one()
        assert (stored.vendor_created_at, stored.last_active_at, seat.assigned_at) == (
            when, when, when,
        )  # fmt: skip
