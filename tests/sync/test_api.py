"""REST: connectors, sync runs, products and accounts (filters, pagination), the role guard."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth import service as auth
from app.core.db import session_scope
from app.core.settings import Settings
from app.main import create_app
from app.sync import configs
from connectors.sandbox.server import Sandboxes


@pytest.fixture
def client(committed_db: Any, settings: Settings, sandboxes: Sandboxes) -> Iterator[TestClient]:
    with session_scope(committed_db.engine) as s:
        configs.add_connector(
            session=s, settings=settings, kind="slack", name="slack",
            config=sandboxes.configs["slack"],
        )  # fmt: skip
    with Session(committed_db.engine) as s:
        for role in ("viewer", "asset_manager", "finance"):
            auth.create_user(session=s, email=f"{role}@example.com", role=role, password="p" * 12)
        s.commit()
        tokens = {
            role: auth.create_token(session=s, email=f"{role}@example.com", name="t")
            for role in ("viewer", "asset_manager", "finance")
        }
        s.commit()
    with TestClient(create_app(settings, committed_db.engine)) as c:
        c.tokens = tokens  # type: ignore[attr-defined]
        yield c


def _h(client: TestClient, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.tokens[role]}"}  # type: ignore[attr-defined]


def test_viewer_may_not_start_a_sync_but_asset_manager_may(client: TestClient) -> None:
    refused = client.post("/api/v1/connectors/slack/sync", headers=_h(client, "viewer"))
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    done = client.post("/api/v1/connectors/slack/sync", headers=_h(client, "asset_manager"))
    assert done.status_code == 200 and done.json()["status"] == "succeeded", done.json()["error"]
    runs = client.get("/api/v1/sync-runs?connector=slack", headers=_h(client, "asset_manager"))
    assert runs.json()["total"] == 1 and runs.json()["items"][0]["status"] == "succeeded"
    # Reads follow the pages' roles: the connectors area is asset managers' (and admins').
    for url in ("/api/v1/sync-runs", "/api/v1/connectors"):
        for role in ("viewer", "finance"):
            assert client.get(url, headers=_h(client, role)).status_code == 403, (url, role)
    missing = client.post("/api/v1/connectors/nope/sync", headers=_h(client, "asset_manager"))
    assert missing.status_code == 404


def test_lists_paginate_filter_and_mask_secrets(client: TestClient, sandboxes: Sandboxes) -> None:
    h = _h(client, "asset_manager")
    client.post("/api/v1/connectors/slack/sync", headers=h)
    connectors = client.get("/api/v1/connectors", headers=h).json()
    assert connectors["items"][0]["config"]["token"] == "••••"
    assert sandboxes.configs["slack"]["token"] not in str(connectors)
    page = client.get("/api/v1/accounts?limit=5&offset=5&connector=slack", headers=h).json()
    assert page["limit"] == 5 and page["offset"] == 5 and len(page["items"]) == 5
    assert page["total"] > 10
    active = client.get("/api/v1/accounts?status=deleted&limit=1000", headers=h).json()
    assert all(a["status"] == "deleted" for a in active["items"])
    products = client.get("/api/v1/products", headers=h).json()["items"]
    team = products[0]["external_id"]
    holders = client.get(f"/api/v1/accounts?product={team}&limit=1000", headers=h).json()
    assert holders["total"] == products[0]["seats_assigned"]
    assert all(team in a["products"] for a in holders["items"])
    unknown = client.get("/api/v1/accounts?connector=other", headers=h)
    assert unknown.status_code == 404 and "no connector named 'other'" in unknown.text
