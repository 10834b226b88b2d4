"""A contract listed by the API or the CLI carries the id its edit takes, and the edit
answers the contract in the listed shape."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api_tokens import api_client
from tests.conftest import Database
from tests.inventory.contract_files import contract, csv_bytes

Api = tuple[TestClient, dict[str, dict[str, str]]]


@pytest.fixture
def api(committed_db: Database) -> Iterator[Api]:
    with api_client(committed_db) as (client, auth):
        rows = [contract(unit_price="149.90"), contract(contract_number="C-2", vendor="Zoom")]
        upload = {"file": ("c.csv", csv_bytes(rows), "text/csv")}
        response = client.post("/api/v1/imports/contracts", files=upload, headers=auth["admin"])
        assert response.status_code == 200, response.text
        yield client, auth


def _listed(client: TestClient, auth: dict[str, dict[str, str]]) -> dict[str, dict[str, Any]]:
    page = client.get("/api/v1/subscriptions", headers=auth["procurement"]).json()
    return {item["contract_number"]: item for item in page["items"]}


def test_listed_contracts_carry_the_id_the_edit_takes(api: Api, cli: Any) -> None:
    client, auth = api
    listed = _listed(client, auth)
    ids = {number: item["id"] for number, item in listed.items()}
    assert all(isinstance(i, int) for i in ids.values()) and len(set(ids.values())) == 2
    result = cli("subscriptions", "list", "--json")
    assert result.exit_code == 0, result.stderr
    assert {r["contract_number"]: r["id"] for r in json.loads(result.stdout)} == ids
    url = f"/api/v1/contracts/{ids['C-2']}"
    assert client.patch(url, json={"seats": 7}, headers=auth["procurement"]).status_code == 200
    assert _listed(client, auth)["C-2"]["seats"] == 7
    assert _listed(client, auth)["C-100"]["seats"] != 7


def test_contract_edit_answers_the_contract_as_the_list_shows_it(api: Api) -> None:
    client, auth = api
    before = _listed(client, auth)["C-100"]
    response = client.patch(
        f"/api/v1/contracts/{before['id']}", json={"notice_days": 45}, headers=auth["admin"]
    )
    assert response.status_code == 200, response.text
    edited = response.json()
    assert edited == _listed(client, auth)["C-100"]
    assert edited == {**before, "notice_days": 45, "notice_deadline": edited["notice_deadline"]}
    assert edited["unit_price"] == "149.90" and edited["vendor"] == "Atlassian"
    assert "vendor_id" not in edited and "product_ref" not in edited


def test_openapi_types_the_contract_edit_answer(api: Api) -> None:
    client, _ = api
    doc = client.get("/openapi.json").json()
    answer = doc["paths"]["/api/v1/contracts/{contract_id}"]["patch"]["responses"]["200"]
    schema = answer["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/SubscriptionRead"}
    assert "id" in doc["components"]["schemas"]["SubscriptionRead"]["required"]
