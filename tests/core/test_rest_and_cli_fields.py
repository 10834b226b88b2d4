"""The REST API and the CLI's ``--json`` show the same thing under the same names: no
field only one of them has (analysis warnings, a connector's last run, a finding's
review, an FX rate's day)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.findings.schemas import FINDING_KEYS, FindingRead
from app.inventory.models import Application, Subscription, Vendor
from app.spend.models import Budget
from app.sync.models import ConnectorConfig, SyncRun
from tests.api_tokens import api_client
from tests.conftest import Database
from tests.findings.company import build_company
from tests.findings.factories import TODAY

Api = tuple[TestClient, dict[str, dict[str, str]]]


@pytest.fixture
def api(committed_db: Database) -> Iterator[Api]:
    with Session(committed_db.engine) as session:
        build_company(session)
        session.commit()
    with api_client(committed_db) as pair:
        yield pair


def _cli_json(cli: Any, *args: str) -> Any:
    result = cli(*args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _budget_without_fx_rate(database: Database) -> None:
    """A USD contract against a EUR budget and no rate: the analysis warns about it."""
    with Session(database.engine) as session:
        vendor = Vendor(name="Budgeted Vendor")
        session.add(vendor)
        session.flush()
        app = Application(name="Budgeted CRM", vendor_id=vendor.id)
        session.add(app)
        session.flush()
        assert vendor.id is not None and app.id is not None
        session.add(
            Subscription(
                vendor_id=vendor.id,
                application_id=app.id,
                contract_number="BUDGET-1",
                start_date=date(2026, 1, 1),
                end_date=date(2026, 12, 31),
                billing_cycle="annual",
                seats=10,
                total_cost=Decimal("12000"),
                currency="USD",
                cost_centre="CC-BUDGET",
            )
        )
        session.add(Budget(cost_centre="CC-BUDGET", year=2026, amount=Decimal(1), currency="EUR"))
        session.commit()


def test_analyze_answers_its_warnings_through_the_api_as_the_cli_prints_them(
    api: Api, committed_db: Database, cli: Any
) -> None:
    client, auth = api
    _budget_without_fx_rate(committed_db)
    printed = _cli_json(cli, "analyze", "--as-of", TODAY.isoformat())
    response = client.post(
        "/api/v1/analyze", json={"as_of": TODAY.isoformat()}, headers=auth["admin"]
    )
    assert response.status_code == 200, response.text
    answered = response.json()
    assert list(answered) == list(printed)
    assert answered["warnings"] == printed["warnings"] and len(printed["warnings"]) == 1
    assert "budget check skipped" in answered["warnings"][0]


def test_connectors_list_their_last_run_through_the_api_as_the_cli_prints_it(
    api: Api, committed_db: Database, cli: Any
) -> None:
    client, auth = api
    with Session(committed_db.engine) as session:
        m365 = session.exec(select(ConnectorConfig).where(ConnectorConfig.name == "m365")).one()
        assert m365.id is not None
        for started, status, error in (
            (datetime(2026, 11, 24, 8, tzinfo=UTC), "succeeded", None),
            (datetime(2026, 11, 25, 8, tzinfo=UTC), "failed", "Graph refused the token"),
        ):
            session.add(
                SyncRun(connector_id=m365.id, started_at=started, status=status, error=error)
            )
        session.commit()
    answered = client.get("/api/v1/connectors", headers=auth["asset_manager"]).json()["items"]
    printed = _cli_json(cli, "connector", "list")
    assert answered == printed
    last = {c["name"]: c["last_run"] for c in answered}
    assert last["m365"] == {
        "status": "failed",
        "started_at": "2026-11-25T08:00:00Z",
        "error": "Graph refused the token",
    }
    assert all(run is None for name, run in last.items() if name != "m365")


def test_findings_list_json_carries_every_field_the_api_gives(api: Api, cli: Any) -> None:
    client, auth = api
    assert client.post("/api/v1/analyze", json={"as_of": TODAY.isoformat()}, headers=auth["admin"])
    key = client.get("/api/v1/findings?limit=1", headers=auth["admin"]).json()["items"][0]["key"]
    dismissal = {"status": "dismissed", "reason": "on leave"}
    assert client.patch(f"/api/v1/findings/{key}", json=dismissal, headers=auth["admin"]).is_success
    answered = client.get("/api/v1/findings?status=dismissed", headers=auth["admin"]).json()
    [printed] = _cli_json(cli, "findings", "list", "--status", "dismissed")
    assert list(FINDING_KEYS) == list(FindingRead.model_fields)
    assert printed == answered["items"][0]
    assert printed["status_reason"] == "on leave" and printed["status_by"] == "admin@example.com"
    assert printed["status_at"] is not None and printed["resolved_at"] is None


def test_fx_rates_name_the_day_day_in_the_api_and_the_cli(api: Api, cli: Any) -> None:
    client, auth = api
    rate = {"base": "EUR", "quote": "USD", "day": "2026-11-01", "rate": "1.08"}
    assert client.put("/api/v1/fx-rates", json=rate, headers=auth["finance"]).status_code == 200
    [answered] = client.get("/api/v1/fx-rates", headers=auth["finance"]).json()["items"]
    [printed] = _cli_json(cli, "fx", "list")
    assert list(printed) == list(answered) == ["base", "quote", "day", "rate"]
    assert printed["day"] == answered["day"] == "2026-11-01"
