"""REST: add a connector and test its credentials, as the connectors pages can."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth import service as auth
from app.core.settings import Settings
from app.main import create_app
from connectors.sandbox.server import Sandboxes

ROLES = ("viewer", "asset_manager", "finance")


@pytest.fixture
def client(committed_db: Any, settings: Settings) -> Iterator[TestClient]:
    with Session(committed_db.engine) as s:
        for role in ROLES:
            auth.create_user(session=s, email=f"{role}@example.com", role=role, password="p" * 12)
        s.commit()
        tokens = {
            role: auth.create_token(session=s, email=f"{role}@example.com", name="t")
            for role in ROLES
        }
        s.commit()
    with TestClient(create_app(settings, committed_db.engine)) as c:
        c.tokens = tokens  # type: ignore[attr-defined]
        yield c


def _h(client: TestClient, role: str = "asset_manager") -> dict[str, str]:
    return {"Authorization": f"Bearer {client.tokens[role]}"}  # type: ignore[attr-defined]


def test_asset_manager_adds_a_connector_and_its_secret_is_never_returned(
    client: TestClient, sandboxes: Sandboxes
) -> None:
    config = sandboxes.configs["slack"]
    body = {"kind": "slack", "name": "chat", "config": config}
    created = client.post("/api/v1/connectors", json=body, headers=_h(client))
    assert created.status_code == 201, created.text
    assert created.json()["name"] == "chat" and created.json()["kind"] == "slack"
    assert created.json()["config"]["token"] == "••••"
    listed = client.get("/api/v1/connectors", headers=_h(client))
    assert config["token"] not in created.text and config["token"] not in listed.text
    assert [c["name"] for c in listed.json()["items"]] == ["chat"]


def test_adding_a_connector_with_a_taken_name_is_a_conflict(
    client: TestClient, sandboxes: Sandboxes
) -> None:
    body = {"kind": "slack", "name": "chat", "config": sandboxes.configs["slack"]}
    assert client.post("/api/v1/connectors", json=body, headers=_h(client)).status_code == 201
    again = client.post("/api/v1/connectors", json=body, headers=_h(client))
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert "chat" in again.json()["detail"]


def test_unknown_and_missing_config_keys_are_named_in_a_422_problem(
    client: TestClient, sandboxes: Sandboxes
) -> None:
    config = {k: v for k, v in sandboxes.configs["slack"].items() if k != "token"}
    config["colour"] = "blue"
    answer = client.post(
        "/api/v1/connectors",
        json={"kind": "slack", "name": "chat", "config": config},
        headers=_h(client),
    )
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert problem["unknown"] == ["colour"] and problem["missing"] == ["token"]
    assert "colour" in problem["detail"] and "token" in problem["detail"]
    assert client.get("/api/v1/connectors", headers=_h(client)).json()["total"] == 0


def test_unknown_kind_and_missing_body_fields_are_422_problems(client: TestClient) -> None:
    kind = client.post(
        "/api/v1/connectors", json={"kind": "fax", "name": "x", "config": {}}, headers=_h(client)
    )
    assert kind.status_code == 422 and "fax" in kind.json()["detail"]
    assert "slack" in kind.json()["detail"]  # names the kinds that exist
    missing = client.post("/api/v1/connectors", json={"config": {}}, headers=_h(client))
    assert missing.status_code == 422
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert "kind" in missing.json()["detail"] and "name" in missing.json()["detail"]
    extra = client.post(
        "/api/v1/connectors", json={"kind": "slack", "name": "x", "tokn": 1}, headers=_h(client)
    )
    assert extra.status_code == 422 and "tokn" in extra.json()["detail"]


def test_connector_test_reports_success_and_a_bad_token_in_plain_words(
    client: TestClient, sandboxes: Sandboxes
) -> None:
    good = {"kind": "slack", "name": "chat", "config": sandboxes.configs["slack"]}
    bad = {**good, "name": "broken", "config": {**good["config"], "token": "xoxb-wrong"}}
    for body in (good, bad):
        assert client.post("/api/v1/connectors", json=body, headers=_h(client)).status_code == 201
    ok = client.post("/api/v1/connectors/chat/test", headers=_h(client))
    assert ok.status_code == 200 and ok.json()["ok"] is True, ok.json()
    refused = client.post("/api/v1/connectors/broken/test", headers=_h(client))
    assert refused.status_code == 200 and refused.json()["ok"] is False
    assert refused.json()["message"] and "xoxb-wrong" not in refused.text
    missing = client.post("/api/v1/connectors/nope/test", headers=_h(client))
    assert missing.status_code == 404 and "nope" in missing.json()["detail"]


def test_only_admins_and_asset_managers_may_add_or_test_connectors(
    client: TestClient, sandboxes: Sandboxes
) -> None:
    body = {"kind": "slack", "name": "chat", "config": sandboxes.configs["slack"]}
    for role in ("viewer", "finance"):
        assert (
            client.post("/api/v1/connectors", json=body, headers=_h(client, role)).status_code
            == 403
        )
    assert client.post("/api/v1/connectors", json=body, headers=_h(client)).status_code == 201
    tested = client.post("/api/v1/connectors/chat/test", headers=_h(client, "viewer"))
    assert tested.status_code == 403
    assert client.post("/api/v1/connectors", json=body).status_code == 401
