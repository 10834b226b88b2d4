"""REST: contract and invoice uploads, refusals as problem+json, listing, templates, roles."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.inventory.models import Subscription
from tests.api_tokens import api_client
from tests.conftest import Database
from tests.inventory.contract_files import contract, csv_bytes, invoice


@pytest.fixture
def api(committed_db: Database) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    with api_client(committed_db) as pair:
        yield pair


def _upload(data: bytes, name: str = "file.csv") -> dict[str, tuple[str, bytes, str]]:
    return {"file": (name, data, "text/csv")}


def test_upload_contracts_and_invoices_then_list(
    api: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    client, auth = api
    response = client.post(
        "/api/v1/imports/contracts",
        files=_upload(csv_bytes([contract(), contract(contract_number="C-2")])),
        headers=auth["procurement"],
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"created": 2, "updated": 0, "unchanged": 0, "warnings": []}
    response = client.post(
        "/api/v1/imports/invoices", files=_upload(csv_bytes([invoice()])), headers=auth["finance"]
    )
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 1
    page = client.get("/api/v1/subscriptions?limit=1&offset=1", headers=auth["finance"]).json()
    assert page["total"] == 2 and page["limit"] == 1 and page["offset"] == 1
    (item,) = page["items"]
    assert item["contract_number"] == "C-2"
    assert item["notice_deadline"] == "2026-12-02" and item["unit_price"] == "120.00"


def test_refused_upload_is_422_problem_with_every_error(
    api: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    client, auth = api
    data = csv_bytes([contract(seats="-3"), contract(currency="ZZZ", contract_number="C-2")])
    response = client.post("/api/v1/imports/contracts", files=_upload(data), headers=auth["admin"])
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["title"] == "Import refused"
    assert body["errors"] == [
        {"row": 2, "column": "seats", "problem": "must not be negative, got -3"},
        {
            "row": 3,
            "column": "currency",
            "problem": "unknown currency code 'ZZZ'; use ISO 4217 (EUR, USD, GBP)",
        },
    ]
    assert client.get("/api/v1/subscriptions", headers=auth["admin"]).json()["total"] == 0


def test_invoice_for_unknown_contract_is_refused_and_nothing_written(
    api: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    client, auth = api
    response = client.post(
        "/api/v1/imports/invoices",
        files=_upload(csv_bytes([invoice(application="Brand New App")])),
        headers=auth["finance"],
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["column"] == "contract_number"


def test_roles_guard_uploads(api: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    client, auth = api
    data = csv_bytes([contract()])
    assert (
        client.post(
            "/api/v1/imports/contracts", files=_upload(data), headers=auth["finance"]
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/api/v1/imports/invoices", files=_upload(data), headers=auth["viewer"]
        ).status_code
        == 403
    )
    assert client.get("/api/v1/subscriptions").status_code == 401


def test_template_download_round_trips(api: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    client, auth = api
    url = "/api/v1/imports/templates/contracts?format=xlsx"
    template = client.get(url, headers=auth["finance"])
    assert template.status_code == 200
    assert "contracts_template.xlsx" in template.headers["content-disposition"]
    response = client.post(
        "/api/v1/imports/contracts",
        files={"file": ("t.xlsx", template.content, "application/octet-stream")},
        headers=auth["admin"],
    )
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 1
    bad = client.get("/api/v1/imports/templates/budgets", headers=auth["finance"])
    assert bad.status_code == 422
    assert (
        client.get(
            "/api/v1/imports/templates/contracts?format=pdf", headers=auth["finance"]
        ).status_code
        == 422
    )


def _one_contract(client: TestClient, auth: dict[str, dict[str, str]], db: Database) -> int | None:
    """Import one contract; return its id."""
    client.post(
        "/api/v1/imports/contracts", files=_upload(csv_bytes([contract()])), headers=auth["admin"]
    )
    with Session(db.engine) as s:
        return s.exec(select(Subscription.id)).one()


def test_contract_edit_refuses_an_owner_that_is_no_e_mail(
    api: tuple[TestClient, dict[str, dict[str, str]]], committed_db: Database
) -> None:
    client, auth = api
    contract_id = _one_contract(client, auth, committed_db)
    url = f"/api/v1/contracts/{contract_id}"
    bad = client.patch(url, json={"owner_email": "also-bad"}, headers=auth["procurement"])
    assert bad.status_code == 422 and "is not an e-mail address" in bad.json()["detail"]
    good = client.patch(url, json={"owner_email": "New@Acme.example"}, headers=auth["procurement"])
    assert good.status_code == 200, good.text
    [after] = client.get("/api/v1/subscriptions", headers=auth["admin"]).json()["items"]
    assert after["owner_email"] == "new@acme.example"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"renewal_date": "2025-12-31"}, "renewal date 2025-12-31 is before the start date"),
        ({"end_date": "2025-06-30"}, "end date 2025-06-30 is before the start date"),
    ],
)
def test_contract_edit_keeps_the_imports_date_rules(
    api: tuple[TestClient, dict[str, dict[str, str]]],
    committed_db: Database,
    change: dict[str, str],
    words: str,
) -> None:
    client, auth = api
    contract_id = _one_contract(client, auth, committed_db)
    refused = client.patch(
        f"/api/v1/contracts/{contract_id}", json=change, headers=auth["procurement"]
    )
    assert refused.status_code == 422 and words in refused.json()["detail"]
    with Session(committed_db.engine) as s:
        after = s.exec(select(Subscription)).one()
    assert (str(after.end_date), str(after.renewal_date)) == ("2026-12-31", "2027-01-01")
