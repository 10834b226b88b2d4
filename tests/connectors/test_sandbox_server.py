"""Starting sandboxes the way `seatwise sandbox serve` does, and the fault switches over HTTP."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from connectors.base import AccountRecord
from connectors.microsoft365 import Microsoft365Connector
from connectors.sandbox.server import describe, simulator_class, start_sandboxes
from tests.connectors.conftest import TODAY, SandboxHandle


def test_started_sandbox_prints_urls_ca_and_working_configs(tmp_path: Path) -> None:
    boxes = start_sandboxes(seed=3, size=20, tls_dir=tmp_path, kinds=("microsoft365",), today=TODAY)
    try:
        text = describe(boxes)
        assert boxes.urls["microsoft365"] in text
        assert boxes.ca_path in text
        records = list(Microsoft365Connector(boxes.configs["microsoft365"]).fetch())
        assert any(isinstance(r, AccountRecord) for r in records)
    finally:
        boxes.stop()


def test_unknown_sandbox_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="no sandbox"):
        simulator_class("salesforce")


def test_faults_can_be_set_and_reset_over_http(graph_sandbox: SandboxHandle) -> None:
    verify = ssl.create_default_context(cafile=graph_sandbox.ca_path)
    with httpx.Client(base_url=graph_sandbox.url, verify=verify) as http:
        assert http.post("/_sandbox/faults", json={"no_premium": True}).status_code == 200
        assert graph_sandbox.simulator.faults.no_premium is True
        assert http.post("/_sandbox/faults", json={"nope": 1}).status_code == 400
        http.delete("/_sandbox/faults")
    assert graph_sandbox.simulator.faults.no_premium is False


def test_graph_sandbox_refuses_page_size_over_999(graph_sandbox: SandboxHandle) -> None:
    verify = ssl.create_default_context(cafile=graph_sandbox.ca_path)
    token = graph_sandbox.simulator.client_secret  # any value: the page size is checked first
    with httpx.Client(base_url=graph_sandbox.url, verify=verify) as http:
        http.headers["Authorization"] = f"Bearer {token}"
        graph_sandbox.simulator.tokens.add(token)
        answer = http.get("/v1.0/users", params={"$top": "1000"})
    assert answer.status_code == 400
    assert "between 1 and 999" in answer.json()["error"]["message"]


def test_a_share_of_enabled_users_signs_in_over_http_and_the_next_fetch_sees_it(
    tmp_path: Path,
) -> None:
    boxes = start_sandboxes(seed=5, size=60, tls_dir=tmp_path, kinds=("microsoft365",), today=TODAY)
    try:
        config = boxes.configs["microsoft365"]

        def accounts() -> dict[str, AccountRecord]:
            records = Microsoft365Connector(config).fetch()
            return {r.external_id: r for r in records if isinstance(r, AccountRecord)}

        before = accounts()  # also fills the sandbox's page cache, which must be refreshed
        verify = ssl.create_default_context(cafile=boxes.ca_path)
        with httpx.Client(base_url=boxes.urls["microsoft365"], verify=verify) as http:
            answer = http.post(
                "/_sandbox/sign-ins", json={"share": 0.5, "at": "2030-01-02T03:04:05Z"}
            )
            assert http.post("/_sandbox/sign-ins", json={"share": 2}).status_code == 400
            assert http.post("/_sandbox/sign-ins", json={"at": "soon"}).status_code == 400
        assert answer.status_code == 200
        after = accounts()
        moved = {k for k, a in after.items() if a.last_active_at != before[k].last_active_at}
        enabled = sum(1 for a in before.values() if a.status == "active")
        assert len(moved) == answer.json()["signed_in"] == enabled // 2
        at = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
        assert all(after[k].last_active_at == at and after[k].status == "active" for k in moved)
        unchanged = {k: a for k, a in after.items() if k not in moved}
        assert unchanged == {k: before[k] for k in unchanged}
    finally:
        boxes.stop()
