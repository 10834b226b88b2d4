"""Every error of the API is problem+json (RFC 9457), and the OpenAPI document says so."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.openapi.models import OpenAPI
from fastapi.testclient import TestClient

from app.openapi import Problem, ValidationProblem
from tests.api_tokens import api_client
from tests.conftest import Database

Api = tuple[TestClient, dict[str, dict[str, str]]]
PROBLEM = "application/problem+json"


@pytest.fixture
def api(committed_db: Database) -> Iterator[Api]:
    with api_client(committed_db) as pair:
        yield pair


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    body: dict[str, Any] = response.json()
    Problem.model_validate(body)
    assert body["status"] == status
    return body


def test_an_unknown_api_address_is_a_404_problem_naming_it(api: Api) -> None:
    client, auth = api
    for headers in (auth["admin"], {}):
        body = _problem(client.get("/api/v1/nothing", headers=headers), 404)
        assert body["title"] == "Not Found" and "/api/v1/nothing" in body["detail"]


def test_a_method_the_route_lacks_is_a_405_problem_with_allow(api: Api) -> None:
    client, auth = api
    response = client.delete("/api/v1/findings", headers=auth["admin"])
    body = _problem(response, 405)
    assert response.headers["allow"] == "GET"
    assert "DELETE" in body["detail"] and "GET" in body["detail"]


def test_a_browser_still_gets_the_error_page_for_an_unknown_page(api: Api) -> None:
    client, _ = api
    response = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>Not Found</h1>" in response.text and "/no-such-page" in response.text


def test_a_bug_is_a_500_problem_without_the_traceback(committed_db: Database) -> None:
    with api_client(committed_db) as (client, _):
        app: Any = client.app

        @app.get("/api/v1/test-bug")
        def bug() -> None:
            raise RuntimeError("secret internals")

        quiet = TestClient(app, raise_server_exceptions=False)
        body = _problem(quiet.get("/api/v1/test-bug"), 500)
    assert "secret internals" not in body["detail"]


def test_a_refused_field_is_the_documented_validation_problem(api: Api) -> None:
    client, auth = api
    response = client.get("/api/v1/findings?limit=0", headers=auth["admin"])
    body = ValidationProblem.model_validate(_problem(response, 422))
    assert [e.loc for e in body.errors] == [["query", "limit"]]


def _api_operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, operations in doc["paths"].items():
        if path.startswith("/api/"):
            for method, operation in operations.items():
                yield path, method, operation


def test_openapi_documents_every_api_error_as_problem_json(api: Api) -> None:
    client, _ = api
    doc = client.get("/openapi.json").json()
    OpenAPI.model_validate(doc)
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    wrong = [
        f"{method.upper()} {path} {status}: {list(answer.get('content', {}))}"
        for path, method, operation in _api_operations(doc)
        for status, answer in operation["responses"].items()
        if status >= "400" and list(answer.get("content", {})) != [PROBLEM]
    ]
    assert not wrong, "\n".join(wrong)
    refused = doc["paths"]["/api/v1/findings"]["get"]["responses"]["422"]
    ref = refused["content"][PROBLEM]["schema"]["$ref"]
    assert ref == "#/components/schemas/ValidationProblem"
    assert set(doc["components"]["schemas"]["ValidationProblem"]["properties"]) == {
        "type",
        "title",
        "status",
        "detail",
        "errors",
    }


def test_openapi_declares_the_bearer_scheme_and_the_common_errors(api: Api) -> None:
    client, _ = api
    doc = client.get("/openapi.json").json()
    assert doc["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": doc["components"]["securitySchemes"]["bearer"]["description"],
    }
    for path, method, operation in _api_operations(doc):
        assert operation.get("security"), f"{method} {path} names no security"
        assert "401" in operation["responses"], f"{method} {path}"
    findings = doc["paths"]["/api/v1/findings/{key}"]
    assert findings["get"]["security"] == [{"bearer": ["admin", "asset_manager", "procurement"]}]
    assert "asset_manager, procurement" in findings["get"]["responses"]["403"]["description"]
    assert set(findings["patch"]["responses"]) >= {"401", "403", "404", "422"}
    assert "403" not in doc["paths"]["/api/v1/me"]["get"]["responses"]


def test_the_documented_roles_are_the_ones_enforced(api: Api) -> None:
    client, auth = api
    doc = client.get("/openapi.json").json()
    [requirement] = doc["paths"]["/api/v1/admin/tokens"]["get"]["security"]
    assert requirement == {"bearer": ["admin"]}
    assert client.get("/api/v1/admin/tokens", headers=auth["admin"]).status_code == 200
    body = _problem(client.get("/api/v1/admin/tokens", headers=auth["finance"]), 403)
    assert "allowed: admin" in body["detail"]
