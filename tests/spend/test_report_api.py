"""REST: /api/v1/reports/spend as JSON or a file, budgets, FX rates; finance and admin only."""

from __future__ import annotations

import io
from collections.abc import Iterator

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth import service as auth_service
from app.core.settings import Settings
from app.main import create_app
from tests.conftest import Database
from tests.spend.spend_rows import EXPECTED, known_company

QUERY = "by=department&from=2026-01&to=2026-03"


@pytest.fixture
def tokens(committed_db: Database) -> Iterator[tuple[TestClient, dict[str, str]]]:
    settings = Settings(database_url=committed_db.url, secret_key="k" * 40, environment="test")
    app = create_app(settings, committed_db.engine)
    headers: dict[str, str] = {}
    with Session(committed_db.engine) as s:
        known_company(s)
        for role in ("finance", "viewer"):
            auth_service.create_user(
                session=s, email=f"{role}@example.com", role=role, password="password-123"
            )
            token = auth_service.create_token(session=s, email=f"{role}@example.com", name="t")
            headers[role] = f"Bearer {token}"
        s.commit()
    with TestClient(app) as client:
        yield client, headers


def test_spend_json_csv_and_xlsx_by_accept_or_format(
    tokens: tuple[TestClient, dict[str, str]],
) -> None:
    client, headers = tokens
    auth = {"Authorization": headers["finance"]}
    data = client.get(f"/api/v1/reports/spend?{QUERY}", headers=auth).json()
    assert data["totals"]["total"] == EXPECTED["department"]["Total"][-1]
    as_csv = client.get(f"/api/v1/reports/spend?{QUERY}", headers=auth | {"Accept": "text/csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.text.splitlines()[-1] == "Total,823.34,598.33,473.33,1895.00"
    as_xlsx = client.get(f"/api/v1/reports/spend?{QUERY}&format=xlsx", headers=auth)
    book = openpyxl.load_workbook(io.BytesIO(as_xlsx.content))
    assert book["By department"]["A2"].value == "Engineering"


def test_viewer_is_refused_and_bad_grouping_is_a_problem(
    tokens: tuple[TestClient, dict[str, str]],
) -> None:
    client, headers = tokens
    refused = client.get(
        f"/api/v1/reports/spend?{QUERY}", headers={"Authorization": headers["viewer"]}
    )
    assert refused.status_code == 403
    bad = client.get(
        "/api/v1/reports/spend?by=planet", headers={"Authorization": headers["finance"]}
    )
    assert bad.status_code == 422
    assert "valid groupings" in bad.json()["detail"]


def test_budgets_and_fx_rates_round_trip(tokens: tuple[TestClient, dict[str, str]]) -> None:
    client, headers = tokens
    auth = {"Authorization": headers["finance"]}
    put = client.put(
        "/api/v1/budgets",
        headers=auth,
        json={"department": "Ops", "year": 2026, "amount": "50", "currency": "EUR"},
    )
    assert put.status_code == 200, put.text
    assert put.json()["over_budget"] is True
    negative = client.put(
        "/api/v1/budgets",
        headers=auth,
        json={"department": "Ops", "year": 2026, "amount": "-1", "currency": "EUR"},
    )
    assert negative.status_code == 422
    assert client.get("/api/v1/budgets", headers=auth).json()["total"] == 1
    rate = client.put(
        "/api/v1/fx-rates",
        headers=auth,
        json={"base": "GBP", "quote": "EUR", "day": "2026-11-01", "rate": "1.17"},
    )
    assert rate.status_code == 200
    assert client.get("/api/v1/fx-rates", headers=auth).json()["total"] == 2
