"""The key index kept between runs (``sync_index``) always matches the tables it stands for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from app.core.db import session_scope, utcnow
from app.sync import key_index
from app.sync.apply import SnapshotApplier
from app.sync.configs import remove_connector
from app.sync.models import SyncIndex, SyncIndexData, SyncRun
from connectors.base import AccountRecord, AssignmentRecord, ProductRecord, Record
from tests.sync.test_snapshot_identity import _connector, _tenant

T1 = datetime(2026, 11, 20, 8, 30, 0, 654321, tzinfo=UTC)


def _run(engine: Any, connector_id: int, records: list[Record]) -> dict[str, int]:
    with Session(engine) as session, session.begin():
        applier = SnapshotApplier(
            session=session, connector_id=connector_id, kind="microsoft365",
            identity_provider=True, stamp=utcnow(), keep_index=True,
        )  # fmt: skip
        applier.add_many(records)
        return applier.finish()[0]


def _synced(committed_db: Any, *users: str) -> tuple[Any, int]:
    """The engine, and a Microsoft 365 connector synced once with these users."""
    engine = committed_db.engine
    m365 = _connector(engine, "m365", "microsoft365", True)
    _run(engine, m365, _tenant(*users))
    return engine, m365


def _stored(engine: Any, connector_id: int) -> key_index.KeyIndex | None:
    with engine.connect() as conn:
        return key_index.load(conn, connector_id)


def _scanned(engine: Any, connector_id: int) -> key_index.KeyIndex:
    with engine.connect() as conn:
        return key_index.scan(conn, connector_id)


def _written_at(engine: Any, connector_id: int) -> datetime:
    with Session(engine) as session:
        row = session.get(SyncIndex, connector_id)
        assert row is not None
        return row.written_at


def _changed_tenant() -> list[Record]:
    """ann renamed and active later, bob gone, eve new with a dated seat, cid's seat gone."""
    out: list[Record] = [ProductRecord(external_id="sku-e3", name="E3", sku="SPE_E3")]
    out.append(AccountRecord("id-ann", "ann@example.com", "Ann Lee", "active", last_active_at=T1))
    out.append(AssignmentRecord("id-ann", "sku-e3", assigned_at=T1 - timedelta(days=3)))
    out.append(AccountRecord("id-cid", "cid@example.com", "Cid", "suspended"))
    out.append(AccountRecord("id-eve", "eve@example.com", "Eve", "active"))
    out.append(AssignmentRecord("id-eve", "sku-e3", assigned_at=T1))
    return out


def test_after_every_run_the_stored_index_equals_a_scan_of_the_tables(committed_db: Any) -> None:
    engine = committed_db.engine
    m365 = _connector(engine, "m365", "microsoft365", True)
    assert _stored(engine, m365) is None
    for records in (
        _tenant("ann", "bob", "cid"),  # first load
        _tenant("ann", "bob", "cid"),  # nothing changed
        _changed_tenant(),  # changed, removed, added
        _tenant("ann", "bob", "cid"),  # restored
        [],  # everything gone
    ):
        _run(engine, m365, records)
        stored = _stored(engine, m365)
        assert stored is not None
        assert stored == _scanned(engine, m365)


def test_a_run_reading_the_stored_index_counts_like_one_scanning_the_tables(
    committed_db: Any,
) -> None:
    engine = committed_db.engine
    kept = _connector(engine, "kept", "microsoft365", True)
    scanned = _connector(engine, "scanned", "microsoft365", True)
    for records in (_tenant("ann", "bob", "cid"), _changed_tenant(), _tenant("ann", "bob")):
        with_index = _run(engine, kept, records)
        key_index_rows = _stored(engine, kept)
        assert key_index_rows is not None
        with session_scope(engine) as session:
            key_index.forget(session.connection(), scanned)
        without = _run(engine, scanned, records)
        assert {k: v for k, v in with_index.items() if k != "persons_created"} == {
            k: v for k, v in without.items() if k != "persons_created"
        }


def test_an_unchanged_run_leaves_the_stored_index_as_it_was(committed_db: Any) -> None:
    engine, m365 = _synced(committed_db, "ann", "bob")
    written = _written_at(engine, m365)
    _run(engine, m365, _tenant("ann", "bob"))
    assert _written_at(engine, m365) == written
    _run(engine, m365, _tenant("ann"))
    assert _written_at(engine, m365) > written


def test_an_account_row_written_behind_the_syncs_back_makes_it_scan(committed_db: Any) -> None:
    engine, m365 = _synced(committed_db, "ann", "bob")
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM assignment"))
        conn.execute(sa.text("DELETE FROM account WHERE external_id = 'id-bob'"))
    assert _stored(engine, m365) is None  # one account row fewer than it describes
    counts = _run(engine, m365, _tenant("ann", "bob"))
    assert counts["accounts_added"] == 1 and counts["assignments_added"] == 2
    assert _stored(engine, m365) == _scanned(engine, m365)


@pytest.mark.parametrize(
    "column",
    [SyncIndex.layout, SyncIndex.schema_revision],  # type: ignore[list-item]
)
def test_an_index_of_another_layout_or_migration_is_not_trusted(
    committed_db: Any, column: Any
) -> None:
    engine, m365 = _synced(committed_db, "ann")
    other = 0 if column is SyncIndex.layout else "0000_older"
    with engine.begin() as conn:
        conn.execute(sa.update(SyncIndex).values({column: other}))
    assert _stored(engine, m365) is None
    assert _run(engine, m365, _tenant("ann"))["accounts_updated"] == 0


def test_an_index_marshal_cannot_write_is_not_stored(committed_db: Any) -> None:
    class Name(str):
        pass

    engine, m365 = _synced(committed_db, "ann")
    with session_scope(engine) as session:
        odd = {"id-x": (1, (Name("x"),))}
        key_index.save(session.connection(), m365, (odd, {}), ({}, {}), run_id=None)
    assert _stored(engine, m365) is None


def test_removing_the_connector_removes_its_index(committed_db: Any) -> None:
    engine, m365 = _synced(committed_db, "ann")
    with session_scope(engine) as session:
        remove_connector(session=session, name="m365")
    with Session(engine) as session:
        assert session.get(SyncIndex, m365) is None


def test_a_product_listed_twice_in_a_run_counts_once_with_its_later_values(
    committed_db: Any,
) -> None:
    # Raw pages mapped in two processes may both announce the same unlisted SKU.
    engine = committed_db.engine
    m365 = _connector(engine, "m365", "microsoft365", True)
    twice = [ProductRecord(external_id="sku-x", name="Unlisted SKU sku-x"), *_tenant("ann")]
    twice.append(ProductRecord(external_id="sku-x", name="Unlisted SKU sku-x", seats_consumed=3))
    counts = _run(engine, m365, twice)
    assert counts["products"] == 2 and counts["products_added"] == 2
    with engine.connect() as conn:
        consumed = conn.execute(
            sa.text("SELECT seats_consumed FROM product WHERE external_id = 'sku-x'")
        ).scalar_one()
    assert consumed == 3


def test_an_index_left_behind_by_a_later_run_is_not_trusted(committed_db: Any) -> None:
    # A run of a build that does not keep the index (say, after a rollback) changed the
    # tables without it: the index no longer describes the latest successful run.
    engine, m365 = _synced(committed_db, "ann")
    assert _stored(engine, m365) is not None
    with session_scope(engine) as session:
        session.add(SyncRun(connector_id=m365, status="failed"))
    assert _stored(engine, m365) is not None  # a failed run changed nothing
    with session_scope(engine) as session:
        session.add(SyncRun(connector_id=m365, status="succeeded"))
    assert _stored(engine, m365) is None


def test_a_run_that_changes_nothing_confirms_the_index_for_itself(committed_db: Any) -> None:
    engine, m365 = _synced(committed_db, "ann")
    with session_scope(engine) as session:
        run = SyncRun(connector_id=m365, status="running")
        session.add(run)
        session.flush()
        applier = SnapshotApplier(
            session=session, connector_id=m365, kind="microsoft365", identity_provider=True,
            stamp=utcnow(), keep_index=True, run_id=run.id,
        )  # fmt: skip
        assert applier._stored  # read from sync_index, not scanned
        applier.add_many(_tenant("ann"))
        applier.finish()
        run.status = "succeeded"
    stored = _stored(engine, m365)
    assert stored is not None and stored == _scanned(engine, m365)


@pytest.mark.parametrize(
    "damage",
    [
        sa.update(SyncIndexData).values(data=b"\x00not marshal"),
        sa.delete(SyncIndexData),  # the bytes are missing
    ],
    ids=["unreadable", "missing"],
)
def test_a_damaged_index_is_dropped_and_the_run_scans(committed_db: Any, damage: Any) -> None:
    engine, m365 = _synced(committed_db, "ann", "bob")
    with engine.begin() as conn:
        conn.execute(damage)
    assert _stored(engine, m365) is None
    counts = _run(engine, m365, _tenant("ann", "bob"))
    assert counts["accounts_updated"] == counts["accounts_added"] == 0
    assert _stored(engine, m365) == _scanned(engine, m365)


def test_a_run_that_changed_nothing_leaves_the_stored_bytes_alone(committed_db: Any) -> None:
    engine, m365 = _synced(committed_db, "ann", "bob")

    def data() -> bytes:
        with Session(engine) as session:
            row = session.get(SyncIndexData, m365)
            assert row is not None
            return row.data

    before, written = data(), _written_at(engine, m365)
    _run(engine, m365, _tenant("ann", "bob"))
    assert data() == before and _written_at(engine, m365) == written
