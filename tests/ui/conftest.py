"""Web UI fixtures: the app on the test database, one user (and API token) per role."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth import service
from app.auth.models import User
from app.core.security import VALID_ROLES, hash_password
from app.core.settings import Settings
from app.main import create_app
from tests.conftest import Database
from tests.login_cookie import COOKIE, login_cookie

PASSWORD = "correct-horse-battery"


def email_of(role: str) -> str:
    return f"{role.replace('_', '-')}@example.com"


@dataclass
class Web:
    """The app, its database, and per-role credentials."""

    app: FastAPI
    db: Database
    settings: Settings
    tokens: dict[str, str] = field(default_factory=dict)

    user_ids: dict[str, int] = field(default_factory=dict)

    def client(self, role: str | None = None) -> TestClient:
        """A client with a session of ``role`` (anonymous when None).

        The login is opened without the form (:mod:`tests.login_cookie`); tests of the
        login form log in through it.
        """
        client = TestClient(self.app, base_url="http://testserver")
        if role is not None:
            cookie = login_cookie(
                self.db.engine,
                self.user_ids[role],
                self.settings.secret_key,
                self.settings.session_max_age,
            )
            client.cookies.set(COOKIE, cookie)
        return client


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', html) or re.search(
        r'name="csrf" value="([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client: TestClient, email: str, password: str) -> None:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf": csrf_of(page.text), "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def make_settings(db: Database) -> Settings:
    return Settings(
        database_url=db.url, secret_key="k" * 40, environment="test", reporting_currency="EUR"
    )


@functools.cache
def password_hash() -> str:
    return hash_password(PASSWORD)


def add_role_users(db: Database) -> tuple[dict[str, str], dict[str, int]]:
    """One user per role (one argon2 hash shared); returns their API tokens and ids."""
    tokens, ids = {}, {}
    with Session(db.engine) as s:
        for role in VALID_ROLES:
            user = User(email=email_of(role), role=role, password_hash=password_hash())
            s.add(user)
            s.flush()
            ids[role] = int(user.id or 0)
            tokens[role] = service.create_token(session=s, email=email_of(role), name="test")
        s.commit()
    return tokens, ids


@pytest.fixture
def web(committed_db: Database) -> Iterator[Web]:
    settings = make_settings(committed_db)
    application = create_app(settings, committed_db.engine)
    tokens, ids = add_role_users(committed_db)
    yield Web(application, committed_db, settings, tokens, ids)


# The vendor sandboxes (connector tests' fixtures) for the browser's "add and sync" test.
from tests.connectors.conftest import (  # noqa: E402, F401
    _servers,
    sandbox_company,
    sandbox_tls,
    slack_sandbox,
)


@contextmanager
def vendors_locked(db: Database) -> Iterator[None]:
    """Keep other connections from creating vendors until the block ends."""
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if db.engine.dialect.name == "sqlite":
            cursor.execute("BEGIN IMMEDIATE")  # the database's one write lock
        else:
            cursor.execute("LOCK TABLE vendor IN EXCLUSIVE MODE")  # reads still pass
        yield
    finally:
        raw.rollback()
        raw.close()
