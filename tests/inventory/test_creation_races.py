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
    ids: dict[str, Any] = {}

    def sync_side() -> None:
        started.wait(10)
        try:
            with Session(committed_db.engine) as session, session.begin():
                ids["sync"] = service.resolve_application(
                    session=session, name="Acme App", vendor_name="Acme"
                ).id
        except Exception as exc:  # reported by the assertion below
            ids["sync"] = exc

    thread = threading.Thread(target=sync_side)
    thread.start()
    with Session(committed_db.engine) as session, session.begin():
        service.resolve_vendor(session=session, name="Acme")
        started.set()
        time.sleep(0.5)  # the sync side now waits for the vendor
        ids["import"] = service.resolve_application(
            session=session, name="Acme App", vendor_name="Acme"
        ).id
    thread.join(timeout=60)
    assert ids["sync"] == ids["import"], ids["sync"]
    assert _names(committed_db, Application) == ["Acme App"]
    assert _names(committed_db, Vendor) == ["Acme"]
