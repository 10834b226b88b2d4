"""Every day the API takes is a year from 1900 to 2999, as the CLI's options are: a 422
problem naming the bound, never a 500 nor an analysis of a day no one means."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.findings.models import Finding
from app.inventory.models import Subscription
from app.spend.models import FxRate
from tests.api_tokens import api_client
from tests.conftest import Database
from tests.findings.company import build_company
from tests.inventory.contract_files import contract, csv_bytes

Api = tuple[TestClient, dict[str, dict[str, str]]]
FAR_DAYS = ["0001-01-01", "1899-12-31", "3000-01-01", "9999-12-31"]


@pytest.fixture
def api(committed_db: Database) -> Iterator[Api]:
    with api_client(committed_db) as pair:
        yield pair


def _refused_for_the_year(response: Any) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "the year must be from 1900 to 2999" in response.json()["detail"]


@pytest.mark.parametrize("day", FAR_DAYS)
def test_analyze_refuses_a_day_outside_1900_to_2999_and_writes_nothing(
    api: Api, committed_db: Database, day: str
) -> None:
    client, auth = api
    with Session(committed_db.engine) as session:
        build_company(session)
        session.commit()
    response = client.post("/api/v1/analyze", json={"as_of": day}, headers=auth["admin"])
    _refused_for_the_year(response)
    with Session(committed_db.engine) as session:
        assert session.exec(select(Finding)).first() is None


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_fx_rate_refuses_a_day_outside_1900_to_2999(
    api: Api, committed_db: Database, day: str
) -> None:
    client, auth = api
    body = {"base": "EUR", "quote": "USD", "day": day, "rate": "1.08"}
    _refused_for_the_year(client.put("/api/v1/fx-rates", json=body, headers=auth["finance"]))
    with Session(committed_db.engine) as session:
        assert session.exec(select(FxRate)).first() is None
    body["day"] = "2999-12-31"
    assert client.put("/api/v1/fx-rates", json=body, headers=auth["finance"]).status_code == 200


@pytest.mark.parametrize("field", ["renewal_date", "end_date"])
def test_contract_edit_refuses_a_day_outside_1900_to_2999(
    api: Api, committed_db: Database, field: str
) -> None:
    client, auth = api
    upload = {"file": ("c.csv", csv_bytes([contract()]), "text/csv")}
    assert client.post("/api/v1/imports/contracts", files=upload, headers=auth["admin"]).is_success
    with Session(committed_db.engine) as session:
        contract_id = session.exec(select(Subscription.id)).one()
    response = client.patch(
        f"/api/v1/contracts/{contract_id}", json={field: "9999-12-31"}, headers=auth["admin"]
    )
    _refused_for_the_year(response)


def test_contract_import_refuses_a_day_outside_1900_to_2999_naming_the_cell(api: Api) -> None:
    client, auth = api
    data = csv_bytes([contract(renewal_date="9999-12-31")])
    upload = {"file": ("c.csv", data, "text/csv")}
    response = client.post("/api/v1/imports/contracts", files=upload, headers=auth["admin"])
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["row"] == 2 and error["column"] == "renewal_date"
    assert "the year must be from 1900 to 2999" in error["problem"]


def test_cli_and_api_refuse_the_same_day_in_the_same_words(api: Api, cli: Any) -> None:
    client, auth = api
    result = cli("analyze", "--as-of", "9999-12-31")
    assert result.exit_code == 2 and "the year must be from 1900 to 2999" in result.stderr
    response = client.post("/api/v1/analyze", json={"as_of": "9999-12-31"}, headers=auth["admin"])
    _refused_for_the_year(response)
