"""Syncing Microsoft 365 from the Graph sandbox over HTTPS: success, idempotency, faults."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, select

from app.core.db import session_scope
from app.core.security import SecretBox
from app.core.settings import Settings
from app.people.models import Account, Person
from app.sync import configs
from app.sync.models import ConnectorConfig
from app.sync.service import sync_connector
from connectors.sandbox.server import Sandboxes
from tests.sync.conftest import FAST, SECRET_KEY, fault, inventory_state
from tests.sync.m365_connector import _add, _last_run


def test_sync_stores_tenant_and_second_identical_run_changes_nothing(
    synced: Any, settings: Settings, sandboxes: Sandboxes
) -> None:
    engine = synced.engine
    before = inventory_state(engine)
    assert before["product"] and before["account"] and before["assignment"] and before["person"]
    again = sync_connector(engine=engine, settings=settings, name="m365", connector_options=FAST)
    assert again.status == "succeeded"
    assert inventory_state(engine) == before
    assert again.counts["accounts_added"] == again.counts["accounts_removed"] == 0
    assert again.counts["assignments_added"] == again.counts["assignments_removed"] == 0
    assert again.counts["persons_created"] == 0


FAULTS = {
    "throttled_forever": ({"throttle": -1, "retry_after": "0"}, "throttl"),
    "server_error_page_3_never_heals": (
        {"server_error_page": 3, "server_error_times": -1},
        "500",
    ),
    "unauthorized_mid_pagination": ({"unauthorized_page": 2, "unauthorized_times": -1}, "401"),
    "malformed_json_page_2": ({"malformed_page": 2}, "json"),
}


@pytest.mark.parametrize("case", sorted(FAULTS))
def test_fault_fails_run_and_leaves_previous_inventory_exactly(
    case: str, synced: Any, settings: Settings, sandboxes: Sandboxes
) -> None:
    switches, reason = FAULTS[case]
    before = inventory_state(synced.engine)
    fault(sandboxes, "microsoft365", **switches)
    result = sync_connector(
        engine=synced.engine, settings=settings, name="m365", connector_options=FAST
    )
    assert result.status == "failed"
    assert inventory_state(synced.engine) == before
    run = _last_run(synced.engine)
    assert run.status == "failed" and run.finished_at is not None
    assert run.error and reason.lower() in run.error.lower(), run.error


def test_wrong_client_secret_fails_with_the_reason_and_changes_nothing(
    synced: Any, settings: Settings
) -> None:
    before = inventory_state(synced.engine)
    with session_scope(synced.engine) as session:
        row = configs.get_connector_config(session=session, name="m365")
        row.secrets = SecretBox(SECRET_KEY).encrypt({"client_secret": "wrong-secret"})
    result = sync_connector(
        engine=synced.engine, settings=settings, name="m365", connector_options=FAST
    )
    assert result.status == "failed"
    assert result.error and "secret" in result.error.lower()
    assert inventory_state(synced.engine) == before
    assert _last_run(synced.engine).error == result.error


def test_unreachable_host_fails_quickly_with_a_clear_message(
    committed_db: Any, settings: Settings, sandboxes: Sandboxes
) -> None:
    import socket
    import time

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dead = f"https://127.0.0.1:{port}"
    config = {**sandboxes.configs["microsoft365"], "authority_host": dead, "graph_url": dead}
    _add(committed_db.engine, settings, "dead", config)
    started = time.monotonic()
    result = sync_connector(
        engine=committed_db.engine, settings=settings, name="dead", connector_options=FAST
    )
    assert time.monotonic() - started < 10
    assert result.status == "failed"
    assert result.error and f"127.0.0.1:{port}" in result.error
    assert _last_run(committed_db.engine).status == "failed"


def test_tenant_without_p1_syncs_with_activity_unknown_and_a_warning(
    committed_db: Any, settings: Settings, sandboxes: Sandboxes
) -> None:
    _add(committed_db.engine, settings, "m365", sandboxes.configs["microsoft365"])
    fault(sandboxes, "microsoft365", no_premium=True)
    result = sync_connector(
        engine=committed_db.engine, settings=settings, name="m365", connector_options=FAST
    )
    assert result.status == "succeeded", result.error
    assert any("P1" in w for w in result.warnings)
    with Session(committed_db.engine) as session:
        accounts = session.exec(select(Account)).all()
    assert accounts and not any(a.activity_known for a in accounts)
    assert all(a.last_active_at is None for a in accounts)


def test_identity_provider_suspended_account_makes_a_leaver(synced: Any) -> None:
    with Session(synced.engine) as session:
        suspended = session.exec(select(Account).where(Account.status == "suspended")).all()
        leavers = session.exec(select(Person).where(Person.status == "leaver")).all()
        connector = session.exec(select(ConnectorConfig)).one()
    assert connector.config["identity_provider"] is True
    assert suspended, "the sandbox company should have suspended users"
    assert {p.id for p in leavers} == {a.person_id for a in suspended if a.person_id}
