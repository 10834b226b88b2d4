"""A token is made only for a user it can work for: never for a deactivated one, whose
every call would be refused (401) — the API answers 409 and the CLI exits 1, saying why."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.auth.models import ApiToken, User
from tests.api_tokens import api_client
from tests.conftest import Database

Api = tuple[TestClient, dict[str, dict[str, str]]]


@pytest.fixture
def api(committed_db: Database) -> Iterator[Api]:
    with api_client(committed_db) as pair:
        yield pair


def _user(database: Database, email: str, *, active: bool) -> int:
    with Session(database.engine) as session:
        user = User(email=email, role="viewer", password_hash="!token-only", is_active=active)
        session.add(user)
        session.commit()
        assert user.id is not None
        return user.id


def _tokens_of(database: Database, user_id: int) -> int:
    with Session(database.engine) as session:
        return len(session.exec(select(ApiToken).where(ApiToken.user_id == user_id)).all())


def test_no_token_for_a_deactivated_user_409_saying_why(api: Api, committed_db: Database) -> None:
    client, auth = api
    user_id = _user(committed_db, "gone@example.com", active=False)
    body = {"user_id": user_id, "name": "reports"}
    refused = client.post("/api/v1/admin/tokens", json=body, headers=auth["admin"])
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    detail = refused.json()["detail"]
    assert "gone@example.com is deactivated" in detail and "reactivate" in detail
    assert _tokens_of(committed_db, user_id) == 0


def test_a_reactivated_user_gets_a_token_that_works(api: Api, committed_db: Database) -> None:
    client, auth = api
    user_id = _user(committed_db, "back@example.com", active=False)
    again = {"is_active": True}
    assert client.patch(
        f"/api/v1/admin/users/{user_id}", json=again, headers=auth["admin"]
    ).is_success
    body = {"user_id": user_id, "name": "reports"}
    made = client.post("/api/v1/admin/tokens", json=body, headers=auth["admin"])
    assert made.status_code == 201, made.text
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {made.json()['token']}"})
    assert me.status_code == 200 and me.json()["email"] == "back@example.com"


def test_token_create_for_a_deactivated_user_exits_1_saying_why(
    cli: Any, committed_db: Database
) -> None:
    user_id = _user(committed_db, "gone@example.com", active=False)
    result = cli("token", "create", "--email", "gone@example.com", "--name", "reports")
    assert result.exit_code == 1 and result.stdout == ""
    assert "gone@example.com is deactivated" in result.stderr
    assert _tokens_of(committed_db, user_id) == 0


def test_openapi_documents_the_409(api: Api) -> None:
    client, _ = api
    answers = client.get("/openapi.json").json()["paths"]["/api/v1/admin/tokens"]["post"]
    assert "application/problem+json" in answers["responses"]["409"]["content"]
