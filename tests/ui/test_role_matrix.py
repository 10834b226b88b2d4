"""Every route and every role: forbidden combinations answer 403, for pages and the API.

The matrix comes from the app's own routes (its OpenAPI paths) and the declared
``ALLOWED`` map below; a route missing from the map fails the test, so a new route
cannot ship without a decision about who may use it. Page areas come from
``app.core.pages.AREA_ROLES`` (the same rules the guards and the navigation use).
"""

from __future__ import annotations

import importlib
import itertools
import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from app.core.security import VALID_ROLES
from app.deps import AREA_ROLES
from app.main import ROUTER_MODULES
from tests.ui.conftest import Web, csrf_of

EVERY = frozenset(VALID_ROLES)
PUBLIC = {
    ("GET", "/health"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/logout"),
    ("POST", "/logout"),
}


def area(name: str) -> frozenset[str]:
    return frozenset({"admin", *(r.value for r in AREA_ROLES[name])})


ADMIN = frozenset({"admin"})
AM = frozenset({"admin", "asset_manager"})
FIN = frozenset({"admin", "finance"})
AM_PR = frozenset({"admin", "asset_manager", "procurement"})
AM_FI_PR = frozenset({"admin", "asset_manager", "finance", "procurement"})

#: Who may call each route (admins always may).
ALLOWED: dict[tuple[str, str], frozenset[str]] = {
    # pages
    ("GET", "/"): area("dashboard"),
    ("GET", "/applications"): area("applications"),
    ("GET", "/applications/{application_id}"): area("applications"),
    ("POST", "/applications/{application_id}"): area("applications_write"),
    ("GET", "/findings"): area("findings"),
    ("GET", "/findings.csv"): area("findings"),
    ("POST", "/findings/review"): area("findings_write"),
    ("GET", "/connectors"): area("connectors"),
    ("GET", "/connectors/new"): area("connectors"),
    ("POST", "/connectors/new"): area("connectors"),
    ("GET", "/connectors/{name}"): area("connectors"),
    ("GET", "/connectors/{name}/runs"): area("connectors"),
    ("POST", "/connectors/{name}/test"): area("connectors"),
    ("POST", "/connectors/{name}/sync"): area("connectors"),
    ("GET", "/people"): area("people"),
    ("GET", "/people/{person_id}"): area("people"),
    ("GET", "/renewals"): area("renewals"),
    ("POST", "/renewals/{contract_number}"): area("renewals_write"),
    ("GET", "/renewals/{subscription_id}"): area("renewals"),
    ("GET", "/spend"): area("spend"),
    ("GET", "/contracts"): area("contracts"),
    ("GET", "/contracts/{contract_id}"): area("contracts"),
    ("POST", "/contracts/upload"): area("contracts_write"),
    ("POST", "/contracts/{contract_id}"): area("contracts_write"),
    ("GET", "/settings"): area("settings"),
    ("POST", "/settings/users"): area("settings"),
    ("POST", "/settings/users/{user_id}"): area("settings"),
    ("POST", "/settings/users/{user_id}/logout"): area("settings"),
    ("POST", "/settings/tokens"): area("settings"),
    ("POST", "/settings/tokens/{token_id}/revoke"): area("settings"),
    ("POST", "/settings/policies"): area("settings"),
    ("POST", "/settings/catalog"): area("settings"),
    ("POST", "/settings/notifications"): area("settings"),
    ("POST", "/settings/notifications/reset"): area("settings"),
    # API
    ("GET", "/api/v1/me"): EVERY,
    ("GET", "/account"): EVERY,
    ("POST", "/account/password"): EVERY,
    ("GET", "/api/v1/users"): ADMIN,
    ("POST", "/api/v1/users"): ADMIN,
    ("GET", "/api/v1/renewals"): AM_PR,
    ("PATCH", "/api/v1/renewals/{contract_number}"): AM_PR,
    ("GET", "/api/v1/outbox"): ADMIN,
    ("GET", "/api/v1/subscriptions"): area("contracts"),
    ("POST", "/api/v1/imports/contracts"): AM_PR,
    ("GET", "/api/v1/imports/templates/{kind}"): area("contracts"),
    ("POST", "/api/v1/imports/invoices"): AM_FI_PR,
    ("POST", "/api/v1/findings/bulk"): AM,
    ("GET", "/api/v1/findings/export"): AM_PR,
    ("GET", "/api/v1/findings"): area("findings"),
    ("GET", "/api/v1/findings/{key}"): area("findings"),
    ("PATCH", "/api/v1/findings/{key}"): AM,
    ("POST", "/api/v1/analyze"): AM,
    ("GET", "/api/v1/reports/spend"): FIN,
    ("GET", "/api/v1/reports/forecast"): FIN,
    ("GET", "/api/v1/reports/savings"): FIN,
    ("GET", "/api/v1/budgets"): FIN,
    ("PUT", "/api/v1/budgets"): FIN,
    ("DELETE", "/api/v1/budgets/{budget_id}"): FIN,
    ("GET", "/api/v1/fx-rates"): FIN,
    ("PUT", "/api/v1/fx-rates"): FIN,
    ("PATCH", "/api/v1/contracts/{contract_id}"): AM_PR,
    ("GET", "/api/v1/applications"): area("applications"),
    ("PATCH", "/api/v1/applications/{application_id}"): area("applications_write"),
    ("GET", "/api/v1/products"): area("applications"),
    ("GET", "/api/v1/accounts"): area("applications"),
    ("GET", "/api/v1/people"): area("people"),
    ("GET", "/api/v1/connectors"): area("connectors"),
    ("GET", "/api/v1/sync-runs"): area("connectors"),
    ("POST", "/api/v1/connectors/{name}/sync"): AM,
    ("POST", "/api/v1/connectors"): AM,
    ("POST", "/api/v1/connectors/{name}/test"): AM,
    ("PATCH", "/api/v1/admin/users/{user_id}"): ADMIN,
    ("POST", "/api/v1/admin/users/{user_id}/logout"): ADMIN,
    ("GET", "/api/v1/admin/tokens"): ADMIN,
    ("POST", "/api/v1/admin/tokens"): ADMIN,
    ("DELETE", "/api/v1/admin/tokens/{token_id}"): ADMIN,
    ("GET", "/api/v1/admin/audit"): ADMIN,
    ("GET", "/api/v1/admin/policies"): ADMIN,
    ("PUT", "/api/v1/admin/policies"): ADMIN,
    ("GET", "/api/v1/admin/catalog"): ADMIN,
    ("POST", "/api/v1/admin/catalog"): ADMIN,
    ("GET", "/api/v1/admin/notification-settings"): ADMIN,
    ("PATCH", "/api/v1/admin/notification-settings"): ADMIN,
    ("DELETE", "/api/v1/admin/notification-settings/{key}"): ADMIN,
}


def app_routes(web: Web) -> list[tuple[str, str]]:
    """Every (method, path) the app serves: the REST API and the pages (which OpenAPI
    leaves out), but not the docs and favicon, which anyone may fetch."""
    routers = [importlib.import_module(name).router.routes for name in ROUTER_MODULES]
    return sorted(
        (method, route.path)
        for route in itertools.chain(web.app.routes, *routers)
        if isinstance(route, APIRoute) and route.path not in {"/docs", "/favicon.ico"}
        for method in route.methods
        if method != "HEAD"
    )


def test_openapi_describes_the_rest_api_not_the_pages(web: Web) -> None:
    documented = set(web.app.openapi()["paths"])
    assert documented == {p for _, p in app_routes(web) if p.startswith("/api/")} | {"/health"}


def fill(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


@pytest.fixture
def clients(web: Web) -> dict[str, dict[str, TestClient]]:
    """Per role: a logged-in browser session (with its CSRF header) and a bearer client."""
    out: dict[str, dict[str, TestClient]] = {}
    for role in VALID_ROLES:
        page = web.client(role)
        page.headers["X-CSRF-Token"] = csrf_of(page.get("/login").text)
        api = web.client(None)
        api.headers["Authorization"] = f"Bearer {web.tokens[role]}"
        out[role] = {"page": page, "api": api}
    return out


def test_every_route_has_declared_roles(web: Web) -> None:
    undeclared = [r for r in app_routes(web) if r not in ALLOWED and r not in PUBLIC]
    assert not undeclared, f"declare who may use these routes in ALLOWED: {undeclared}"


def test_forbidden_role_gets_403_on_every_page_and_api_route(
    web: Web, clients: dict[str, dict[str, TestClient]]
) -> None:
    wrong = []
    for method, path in app_routes(web):
        if (method, path) in PUBLIC:
            continue
        allowed = ALLOWED.get((method, path), EVERY)
        channel = "api" if path.startswith("/api/") else "page"
        for role in sorted(EVERY - allowed):
            response = clients[role][channel].request(method, fill(path), follow_redirects=False)
            if response.status_code != 403:
                wrong.append(f"{role} {method} {path} -> {response.status_code}")
    assert not wrong, "expected 403:\n" + "\n".join(wrong)


def test_allowed_role_is_not_refused_on_read_routes(
    web: Web, clients: dict[str, dict[str, TestClient]]
) -> None:
    wrong = []
    for method, path in app_routes(web):
        if method != "GET" or "{" in path or (method, path) in PUBLIC:
            continue
        channel = "api" if path.startswith("/api/") else "page"
        for role in sorted(ALLOWED.get((method, path), EVERY)):
            response = clients[role][channel].get(path, follow_redirects=False)
            if response.status_code in (401, 403) or response.status_code >= 500:
                wrong.append(f"{role} GET {path} -> {response.status_code}")
    assert not wrong, "\n".join(wrong)


def test_forbidden_api_answer_is_problem_json(web: Web) -> None:
    client = web.client(None)
    client.headers["Authorization"] = f"Bearer {web.tokens['finance']}"
    response = client.post("/api/v1/findings/bulk", json={"keys": ["k"], "status": "open"})
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")


def test_forbidden_page_answer_is_html(web: Web) -> None:
    response = web.client("finance").get("/connectors")
    assert response.status_code == 403 and "Forbidden" in response.text
    assert response.headers["content-type"].startswith("text/html")
