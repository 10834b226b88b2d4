"""Two transactions creating the same vendor or application at once end with one row.

A sync and a contract import (or two imports) each look a name up, miss it because the
other has not committed yet, and create it: one of them used to fail on the unique name
(a whole sync lost to a contract upload), or, for the same name in another case, a
second vendor was made. The second creator now waits for the first and finds its row.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from app.core.errors import DatabaseBusyError
from app.inventory import service
from app.inventory.models import Application, Vendor
from tests.conftest import Database


def _first_creates_then_second(
    db: Database, first: Callable[[Session], Any], second: Callable[[Session], Any]
) -> tuple[Any, Any, float]:
    """Run ``first`` in a transaction left open 1 s while ``second`` runs in another.

    Returns both results' ids and how long ``second`` took.
    """
    created = threading.Event()
    results: dict[str, Any] = {}

    def run_second() -> None:
        created.wait(10)
        start = time.monotonic()
        try:
            with Session(db.engine) as session, session.begin():
                results["second"] = second(session).id
        except Exception as exc:  # reported below, with its own message
            results["second"] = exc
        results["took"] = time.monotonic() - start

    thread = threading.Thread(target=run_second)
    thread.start()
    with Session(db.engine) as session, session.begin():
        results["first"] = first(session).id
        created.set()
        time.sleep(1.0)
    thread.join(timeout=60)
    return results["first"], results["second"], results["took"]


def _elsewhere(
    db: Database, body: Callable[[Session], Any]
) -> tuple[threading.Thread, dict[str, Any]]:
    """Start ``body`` in a transaction of its own on another thread (a sync, say).

    Its result, or the exception it raised, lands under ``"result"`` once it has ended.
    """
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            with Session(db.engine) as session, session.begin():
                outcome["result"] = body(session)
        except Exception as exc:  # reported by the caller's assertions
            outcome["result"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _names(db: Database, model: Any) -> list[str]:
    with Session(db.engine) as session:
        return sorted(row.name for row in session.exec(select(model)))


@pytest.mark.parametrize("second_name", ["Acme Cloud", "ACME  cloud"])
def test_a_vendor_being_created_elsewhere_is_waited_for_and_found(
    committed_db: Database, second_name: str
) -> None:
    first, second, took = _first_creates_then_second(
        committed_db,
        lambda s: service.resolve_vendor(session=s, name="Acme Cloud"),
        lambda s: service.resolve_vendor(session=s, name=second_name),
    )
    assert second == first, second
    assert took >= 0.5  # it waited for the first to commit
    assert _names(committed_db, Vendor) == ["Acme Cloud"]


def test_an_application_being_created_elsewhere_is_waited_for_and_found(
    committed_db: Database,
) -> None:
    # The catalogue's application (a sync's SKU) and the same one named by a contract.
    first, second, _ = _first_creates_then_second(
        committed_db,
        lambda s: service.resolve_application(
            session=s, name="Microsoft 365", catalog_key="microsoft-365"
        ),
        lambda s: service.resolve_application(session=s, name="microsoft 365", vendor_name="MS"),
    )
    assert second == first, second
    assert _names(committed_db, Application) == ["Microsoft 365"]
    assert _names(committed_db, Vendor) == ["Microsoft"]


def test_other_names_are_created_without_waiting(committed_db: Database) -> None:
    first, second, took = _first_creates_then_second(
        committed_db,
        lambda s: service.resolve_vendor(session=s, name="Acme Cloud"),
        lambda s: service.resolve_vendor(session=s, name="Zeta Tools"),
    )
    if committed_db.backend == "sqlite":
        pytest.skip("SQLite has one writer at a time: the second waits for any first")
    assert isinstance(second, int) and second != first
    assert took < 0.5


def test_a_creator_that_waits_too_long_is_refused_naming_the_name(
    committed_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "CREATION_WAIT_SECONDS", 0.3)
    _, second, _ = _first_creates_then_second(
        committed_db,
        lambda s: service.resolve_vendor(session=s, name="Acme Cloud"),
        lambda s: service.resolve_vendor(session=s, name="acme cloud"),
    )
    assert isinstance(second, DatabaseBusyError)
    assert str(second).startswith("vendor 'acme cloud' was being created by another change")
    assert "waiting for more than 0 s" in str(second) and "try again" in str(second)
    assert _names(committed_db, Vendor) == ["Acme Cloud"]


def test_an_import_making_a_vendor_then_its_application_and_a_sync_making_both_meet(
    committed_db: Database,
) -> None:
    # The import creates the vendor, then (rows later) its application; meanwhile a sync
    # creates the application, and so its vendor. Neither waits for the other in a cycle.
    started = threading.Event()

    def sync_side(session: Session) -> int | None:
        started.wait(10)
        return service.resolve_application(session=session, name="Acme App", vendor_name="Acme").id

    thread, sync = _elsewhere(committed_db, sync_side)
    with Session(committed_db.engine) as session, session.begin():
        service.resolve_vendor(session=session, name="Acme")
        started.set()
        time.sleep(0.5)  # the sync side now waits for the vendor
        imported = service.resolve_application(
            session=session, name="Acme App", vendor_name="Acme"
        ).id
    thread.join(timeout=60)
    assert sync["result"] == imported, sync["result"]
    assert _names(committed_db, Application) == ["Acme App"]
    assert _names(committed_db, Vendor) == ["Acme"]


def test_a_sync_relinking_contracts_skips_one_an_import_holds(committed_db: Database) -> None:
    """Relinking after a sync never waits for a contract row another change holds.

    The sync holds the names it created until it commits; an import holding a contract
    may be waiting for one of them, so waiting for the contract would close a cycle.
    """
    if committed_db.backend == "sqlite":
        pytest.skip("SQLite has one writer at a time: a second writer never holds a row")
    from app.inventory.contract_rows import parse_contracts
    from app.inventory.contracts import import_contracts, relink_contracts
    from app.inventory.models import Product, Subscription
    from tests.inventory.contract_files import contract, csv_bytes

    row = contract(vendor="Microsoft", application="Microsoft 365", product="SPE_E5")
    with Session(committed_db.engine) as session, session.begin():
        import_contracts(session=session, rows=parse_contracts(csv_bytes([row])))
        app = service.resolve_application(session=session, name="Microsoft 365")
        assert app.id is not None
        session.add(Product(application_id=app.id, external_id="e5", sku="SPE_E5", name="E5"))
    with Session(committed_db.engine) as importer, importer.begin():
        held = importer.exec(select(Subscription)).one()
        held.notes = "being edited"
        importer.add(held)
        importer.flush()  # the import's transaction now holds the contract's row
        start = time.monotonic()
        with Session(committed_db.engine) as syncing, syncing.begin():
            syncing.execute(sa.text("SET LOCAL lock_timeout = '2s'"))  # a wait fails the test
            assert relink_contracts(session=syncing) == 0
        assert time.monotonic() - start < 0.5
    with Session(committed_db.engine) as session, session.begin():
        assert relink_contracts(session=session) == 1


def _until_someone_waits_for_a_name(db: Database) -> None:
    waiting = sa.text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
    deadline = time.monotonic() + 20
    with db.engine.connect() as conn:
        while not conn.execute(waiting).scalar() and time.monotonic() < deadline:
            time.sleep(0.02)
            conn.rollback()


def test_an_import_chosen_as_a_deadlock_victim_runs_again_and_succeeds(
    committed_db: Database, cli: Any, tmp_path: Any
) -> None:
    """An import and a sync creating two vendors' applications in opposite orders deadlock; the
    database aborts one of them (here the import, which waited first): it runs again
    and imports every row, and the other side's change stands."""
    if committed_db.backend == "sqlite":
        pytest.skip("SQLite has one writer at a time: two writers never wait in a cycle")
    from tests.inventory.contract_files import contract, csv_bytes

    with Session(committed_db.engine) as session, session.begin():
        service.resolve_vendor(session=session, name="Acme")
        service.resolve_vendor(session=session, name="Zenith")
    path = tmp_path / "contracts.csv"
    path.write_bytes(
        csv_bytes(
            [
                contract(contract_number="A-1", vendor="Acme", application="Alpha", product=""),
                contract(contract_number="Z-1", vendor="Zenith", application="Zeta", product=""),
            ]
        )
    )
    holding = threading.Event()

    def sync_side(session: Session) -> int | None:
        service.resolve_application(session=session, name="Zeta", vendor_name="Zenith")
        holding.set()
        _until_someone_waits_for_a_name(committed_db)  # the import, for Zeta
        return service.resolve_application(session=session, name="Alpha", vendor_name="Acme").id

    thread, other = _elsewhere(committed_db, sync_side)
    holding.wait(10)
    result = cli("import", "contracts", str(path))
    thread.join(timeout=30)
    assert result.exit_code == 0, result.stderr
    assert "contracts: 2 created" in result.stdout
    assert isinstance(other["result"], int), other["result"]
    assert _names(committed_db, Application) == ["Alpha", "Zeta"]
