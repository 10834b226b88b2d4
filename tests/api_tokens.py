"""A test client of the REST API with one bearer token per role (no passwords hashed)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth import service as auth_service
from app.auth.models import User
from app.core.settings import Settings
from app.main import create_app
from tests.conftest import Database

ROLES = ("admin", "asset_manager", "finance", "procurement", "viewer")


@contextmanager
def api_client(database: Database) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    """The app on ``database`` and the ``Authorization`` header of a user of each role."""
    settings = Settings(database_url=database.url, secret_key="k" * 40, environment="test")
    headers: dict[str, dict[str, str]] = {}
    with Session(database.engine) as session:
        for role in ROLES:
            email = f"{role}@example.com"
            session.add(User(email=email, role=role, password_hash="!token-only"))
            session.flush()
            token = auth_service.create_token(session=session, email=email, name="tests")
            headers[role] = {"Authorization": f"Bearer {token}"}
        session.commit()
    with TestClient(create_app(settings, database.engine)) as client:
        yield client, headers
