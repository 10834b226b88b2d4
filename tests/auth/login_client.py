"""A web client with a finance and a viewer user, and the login form driven through it."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth import service
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


def _app_of(client: TestClient) -> TestClient:
    """Another browser (its own cookies) on the same app, from another address."""
    return TestClient(client.app, client=("198.51.100.7", 50001))
