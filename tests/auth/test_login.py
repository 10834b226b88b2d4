"""Web login: the form, roles, security headers, health, the request's commit."""

from __future__ import annotations

import re

from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.auth.models import AuditLog, User
from app.core.db import make_engine
from app.core.settings import Settings
from app.deps import SessionDep
from app.main import create_app
from tests.auth import login_client
from tests.auth.login_client import _login
from tests.conftest import Database

# Shared fixtures, bound in this module for pytest to find.
client = login_client.client


def test_health_ok(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["version"]


def test_health_503_when_database_unreachable() -> None:
    engine = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1")
    settings = Settings(database_url="sqlite://", secret_key="k" * 40, environment="test")
    with TestClient(create_app(settings, engine)) as c:
        response = c.get("/health")
    assert response.status_code == 503
    assert response.json()["status"] == "error"


def test_login_success_sets_session_and_audits(client: TestClient, committed_db: Database) -> None:
    assert _login(client, "FIN@example.com", "finance-pass") == 303
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/me").json()["email"] == "fin@example.com"
    with Session(committed_db.engine) as s:
        actions = [a.action for a in s.exec(select(AuditLog))]
    assert "login" in actions and actions.count("user.create") == 2


def test_failed_logins_give_one_generic_message(client: TestClient) -> None:
    assert _login(client, "fin@example.com", "wrong") == 401
    wrong_password = client.get("/login")
    unknown = client.post(
        "/login", data={"email": "ghost@example.com", "password": "x", "csrf": "bad"}
    )
    assert unknown.status_code == 400
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token
    r1 = client.post(
        "/login", data={"email": "ghost@example.com", "password": "x", "csrf": token.group(1)}
    )
    r2 = client.post(
        "/login", data={"email": "fin@example.com", "password": "x", "csrf": token.group(1)}
    )
    assert r1.status_code == r2.status_code == 401
    assert "Invalid e-mail or password." in r1.text and "Invalid e-mail or password." in r2.text
    assert wrong_password.status_code == 200


def test_pages_redirect_to_login_and_api_answers_401(client: TestClient) -> None:
    page = client.get("/", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    api = client.get("/api/v1/me")
    assert api.status_code == 401
    assert api.headers["content-type"].startswith("application/problem+json")
    assert api.headers["www-authenticate"].startswith("Bearer")


def test_role_guard_refuses_other_roles_with_403(client: TestClient) -> None:
    assert _login(client, "view@example.com", "viewer-pass") == 303
    refused = client.get("/api/v1/_probe/finance")
    assert refused.status_code == 403
    assert "viewer" in refused.json()["detail"]
    client.post("/logout")
    assert _login(client, "fin@example.com", "finance-pass") == 303
    assert client.get("/api/v1/_probe/finance").json() == {"ok": "yes"}


def test_security_headers_present(client: TestClient) -> None:
    response = client.get("/login")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    cookie = response.headers.get("set-cookie", "")
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()


def test_the_requests_commit_comes_before_its_response(client: TestClient) -> None:
    """A change that fails at commit answers an error (409: the e-mail is taken), never a
    success for data that was rolled back (and a redirect after a form finds its change
    committed)."""
    probe = APIRouter()

    @probe.post("/api/v1/_probe/duplicate-user")
    def duplicate(session: SessionDep) -> dict[str, str]:
        session.add(User(email="fin@example.com", role="viewer", password_hash="x"))
        return {"ok": "yes"}

    app = client.app
    assert isinstance(app, FastAPI)
    app.include_router(probe)
    with TestClient(app, raise_server_exceptions=False) as c:
        response = c.post("/api/v1/_probe/duplicate-user")
    assert response.status_code == 409, response.text
    assert response.json()["detail"].endswith("nothing was saved: try again")


def test_an_email_no_user_can_have_is_a_plain_failed_login(client: TestClient) -> None:
    assert _login(client, "a" * 400 + "@example.com", "finance-pass") == 401
    # A NUL character is refused before the form is read, as in every request.
    assert _login(client, "fin\x00@example.com", "finance-pass") == 422
