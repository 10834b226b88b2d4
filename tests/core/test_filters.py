"""One rule for every filter, in the API and the CLI alike: an unknown enumerated value
(status, kind, severity) is refused naming the allowed ones (422, exit 2); a name that
names nothing (connector, product, application) is not found, naming it (404, exit 1);
connector names ignore case, in filters and addresses as when added."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

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
    with api_client(committed_db) as (client, auth):
        analysis = client.post(
            "/api/v1/analyze", json={"as_of": TODAY.isoformat()}, headers=auth["admin"]
        )
        assert analysis.status_code == 200, analysis.text
        yield client, auth


UNKNOWN_VALUES = [
    ("/api/v1/findings?kind=bogus", "kind", "unused_seat"),
    ("/api/v1/findings?status=bogus", "status", "acknowledged"),
    ("/api/v1/findings?severity=bogus", "severity", "critical"),
    ("/api/v1/accounts?status=bogus", "status", "suspended"),
    ("/api/v1/people?status=bogus", "status", "leaver"),
    ("/api/v1/sync-runs?status=bogus", "status", "succeeded"),
]


@pytest.mark.parametrize(("url", "what", "allowed"), UNKNOWN_VALUES)
def test_an_unknown_value_of_a_filter_is_a_422_naming_the_allowed_ones(
    api: Api, url: str, what: str, allowed: str
) -> None:
    client, auth = api
    response = client.get(url, headers=auth["admin"])
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    detail = response.json()["detail"]
    assert f"unknown {what} 'bogus'" in detail and allowed in detail


UNKNOWN_NAMES = [
    ("/api/v1/accounts?connector=nope", "no connector named 'nope'"),
    ("/api/v1/products?connector=nope", "no connector named 'nope'"),
    ("/api/v1/sync-runs?connector=nope", "no connector named 'nope'"),
    ("/api/v1/accounts?product=bogus", "no product with external id 'bogus'"),
    ("/api/v1/findings?application=nope", "no application named 'nope'"),
    ("/api/v1/connectors/nope/test", "no connector named 'nope'"),
]


@pytest.mark.parametrize(("url", "words"), UNKNOWN_NAMES)
def test_a_name_that_names_nothing_is_a_404_naming_it(api: Api, url: str, words: str) -> None:
    client, auth = api
    method = client.post if url.endswith("/test") else client.get
    response = method(url, headers=auth["admin"])
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert words in response.json()["detail"]


def test_known_values_and_names_still_filter(api: Api) -> None:
    client, auth = api

    def total(url: str) -> int:
        response = client.get(url, headers=auth["admin"])
        assert response.status_code == 200, (url, response.text)
        count: int = response.json()["total"]
        return count

    assert 0 < total("/api/v1/accounts?connector=slack") < total("/api/v1/accounts")
    assert total("/api/v1/accounts?status=deleted") == 0  # allowed, and none is
    assert total("/api/v1/people?status=active") >= 1
    assert total("/api/v1/findings?kind=unassigned_seats") == 2
    assert total("/api/v1/sync-runs?status=failed") == 0


def test_connector_names_ignore_case_in_filters_and_addresses(api: Api) -> None:
    client, auth = api
    for url in ("/api/v1/accounts", "/api/v1/products"):
        lower = client.get(f"{url}?connector=slack", headers=auth["admin"]).json()
        upper = client.get(f"{url}?connector=SLACK", headers=auth["admin"]).json()
        assert upper == lower and lower["total"] > 0
    tested = client.post("/api/v1/connectors/SLACK/test", headers=auth["admin"])
    assert tested.status_code == 200, tested.text
    assert tested.json()["connector"] == "slack"


def test_the_cli_follows_the_same_rule(api: Api, cli: Any) -> None:
    usage = [
        ("people", "list", "--status", "bogus"),
        ("findings", "list", "--kind", "bogus"),
        ("findings", "list", "--status", "bogus"),
    ]
    for args in usage:
        result = cli(*args)
        assert result.exit_code == 2 and "'bogus' is not one of" in result.stderr, args
    not_found = [
        (("inventory", "accounts", "--connector", "nope"), "no connector named 'nope'"),
        (("inventory", "products", "--connector", "nope"), "no connector named 'nope'"),
        (("findings", "list", "--application", "nope"), "no application named 'nope'"),
    ]
    for args, words in not_found:
        result = cli(*args)
        assert result.exit_code == 1 and words in result.stderr, (args, result.stderr)
    upper = cli("inventory", "accounts", "--connector", "SLACK", "--json")
    lower = cli("inventory", "accounts", "--connector", "slack", "--json")
    assert upper.exit_code == 0 and json.loads(upper.stdout) == json.loads(lower.stdout) != []
    actives = cli("people", "list", "--status", "ACTIVE", "--json")
    assert actives.exit_code == 0 and json.loads(actives.stdout)


def test_openapi_lists_the_allowed_values_and_the_404_of_named_filters(api: Api) -> None:
    client, _ = api
    doc = client.get("/openapi.json").json()
    accounts = doc["paths"]["/api/v1/accounts"]["get"]
    status = next(p for p in accounts["parameters"] if p["name"] == "status")
    assert status["schema"]["enum"] == ["active", "suspended", "deleted"]
    assert {"404", "422"} <= set(accounts["responses"])
    people = doc["paths"]["/api/v1/people"]["get"]
    [person_status] = [p for p in people["parameters"] if p["name"] == "status"]
    assert person_status["schema"]["enum"] == ["active", "leaver"]
