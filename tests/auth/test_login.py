"""Web login, sessions, roles, health."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.auth import service
from app.auth.models import AuditLog
from app.core.db import make_engine
from app.core.security import Role
from app.core.settings import Settings
from app.deps import require_roles
from app.main import create_app
from tests.conftest import Database


@pytest.fixture
def client(committed_db: Database) -> Iterator[TestClient]:
    settings = Settings(database_url=committed_db.url, secret_key="k" * 40, environment="test")
    application = create_app(settings, committed_db.engine)
    probe = APIRouter()

    @probe.get("/api/v1/_probe/finance", dependencies=[Depends(require_roles(Role.finance))])
    def finance_only() -> dict[str, str]:
        return {"ok": "yes"}

    application.include_router(probe)
    with Session(committed_db.engine) as s:
        service.create_user(
            session=s, email="fin@example.com", role="finance", password="finance-pass"
        )
        service.create_user(
            session=s, email="view@example.com", role="viewer", password="viewer-pass"
        )
        s.commit()
    with TestClient(application) as c:
        yield c


def _login(client: TestClient, email: str, password: str) -> int:
    page = client.get("/login")
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf": match.group(1), "next": "/"},
        follow_redirects=False,
    )
    return response.status_code


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


def test_logout_needs_the_sessions_form_token(client: TestClient) -> None:
    assert _login(client, "view@example.com", "viewer-pass") == 303
    # A link, an image or a forged post from elsewhere only shows the confirmation.
    for response in (client.get("/logout"), client.post("/logout", data={"csrf": "forged"})):
        assert response.status_code == 200 and "Log out of Seatwise?" in response.text
        assert client.get("/api/v1/me").status_code == 200
    page = client.get("/logout")
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match
    done = client.post("/logout", data={"csrf": match.group(1)}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/login"
    assert client.get("/api/v1/me").status_code == 401
