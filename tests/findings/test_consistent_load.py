"""The analysis reads the inventory as of one moment, even while a sync commits.

The frames are read statement by statement; a sync committing between them (here:
right after the accounts were read, from another connection) once left seats of
accounts the frames did not hold, and the analysis resolved findings still true.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest
from sqlmodel import Session

from app.core.errors import DatabaseBusyError
from app.findings import frames_loader
from app.findings.catalog_service import effective_catalog
from app.inventory.models import Product
from app.sync.models import SyncRun
from tests.conftest import Database
from tests.findings.factories import (
    TODAY,
    create_account,
    create_assignment,
    create_connector,
    create_product,
)


def _inventory(db: Database) -> dict[str, int]:
    with Session(db.engine) as session:
        connector = create_connector(session)
        product = create_product(session, connector_id=connector.id)
        create_assignment(session, create_account(session, connector_id=connector.id), product)
        session.add(SyncRun(connector_id=connector.id, status="succeeded"))
        session.commit()
        return {"connector": int(connector.id or 0), "product": int(product.id or 0)}


def _a_sync_commits(db: Database, ids: dict[str, int]) -> None:
    """What a sync's transaction commits: a new account with its seat, its run succeeded."""
    with Session(db.engine) as other:
        account = create_account(other, connector_id=ids["connector"])
        create_assignment(other, account, other.get(Product, ids["product"]))
        other.add(SyncRun(connector_id=ids["connector"], status="succeeded"))
        other.commit()


def _syncing_after_accounts(
    monkeypatch: pytest.MonkeyPatch, commit: Callable[[], None], times: int
) -> list[int]:
    """Commit a sync right after the accounts are read, the first ``times`` reads."""
    reads: list[int] = []
    load_accounts = frames_loader.load_accounts

    def accounts_then_a_sync(session: Any) -> pd.DataFrame:
        frame = load_accounts(session)
        reads.append(len(frame))
        if len(reads) <= times:
            commit()
        return frame

    monkeypatch.setattr(frames_loader, "load_accounts", accounts_then_a_sync)
    return reads


def _load(db: Database) -> Any:
    with Session(db.engine) as session:
        catalog = effective_catalog(session=session)
        return frames_loader.load_frames(session=session, today=TODAY, catalog=catalog)


def test_a_sync_committing_during_the_read_is_read_whole(
    committed_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _inventory(committed_db)
    reads = _syncing_after_accounts(monkeypatch, lambda: _a_sync_commits(committed_db, ids), 1)
    frames = _load(committed_db)
    assert reads == [1, 2]  # read again, after the sync
    assert set(frames.assignments["account_id"]) <= set(frames.accounts["account_id"])
    assert len(frames.accounts) == 2 and len(frames.assignments) == 2


def test_an_inventory_that_keeps_changing_is_refused_changing_nothing(
    committed_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _inventory(committed_db)
    _syncing_after_accounts(monkeypatch, lambda: _a_sync_commits(committed_db, ids), 99)
    with pytest.raises(DatabaseBusyError, match="syncs changed the inventory while it was read"):
        _load(committed_db)
