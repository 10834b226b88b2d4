"""Failed-login lockout: per e-mail and client, race-free, lifted by time or a new password."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlmodel import Session, select

from app.auth import service
from app.auth.models import AuditLog, LoginFailure
from app.core.settings import Settings
from tests.auth import login_client
from tests.auth.login_client import _app_of, _login
from tests.conftest import Database

# Shared fixtures, bound in this module for pytest to find.
client = login_client.client


def test_repeated_wrong_passwords_lock_that_email_out_for_that_client(
    client: TestClient, committed_db: Database
) -> None:
    for _ in range(5):
        assert _login(client, "fin@example.com", "wrong-guess") == 401
    # The sixth try is refused without checking the password, even the right one.
    page = client.get("/login")
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match
    locked = client.post(
        "/login",
        data={"email": "FIN@example.com ", "password": "finance-pass", "csrf": match.group(1)},
    )
    assert locked.status_code == 429
    assert 14 * 60 < int(locked.headers["retry-after"]) <= 15 * 60
    assert "Too many failed logins; try again in 15 minutes." in locked.text
    # Other e-mails from this client, and this e-mail from elsewhere, are not locked.
    assert _login(_app_of(client), "view@example.com", "viewer-pass") == 303
    assert _login(_app_of(client), "fin@example.com", "finance-pass") == 303
    with Session(committed_db.engine) as s:
        actions = [a.action for a in s.exec(select(AuditLog))]
        assert actions.count("login.failed") == 5 and actions.count("login.locked") == 1
        # Once the failures are older than the window, the form checks passwords again.
        for failure in s.exec(select(LoginFailure)):
            failure.at = failure.at - timedelta(minutes=15)
            s.add(failure)
        s.commit()
    assert _login(client, "fin@example.com", "finance-pass") == 303


def test_a_successful_login_forgets_the_clients_failures(
    client: TestClient, committed_db: Database
) -> None:
    for _ in range(4):
        assert _login(client, "fin@example.com", "wrong-guess") == 401
    assert _login(client, "fin@example.com", "finance-pass") == 303
    for _ in range(4):
        assert _login(client, "fin@example.com", "wrong-guess") == 401
    assert _login(client, "fin@example.com", "finance-pass") == 303
    with Session(committed_db.engine) as s:
        assert s.exec(select(LoginFailure)).all() == []


def test_failures_over_many_emails_lock_nobody_else_out(client: TestClient) -> None:
    """An office behind one NAT address: one person's wrong guesses at other accounts
    must not lock their colleagues out."""
    for n in range(30):
        assert _login(client, f"user{n}@example.com", "guess") == 401
    assert _login(_app_of(client), "view@example.com", "viewer-pass") == 303
    assert _login(client, "view@example.com", "viewer-pass") == 303


def test_parallel_guesses_get_no_more_password_checks_than_the_limit(
    client: TestClient, committed_db: Database
) -> None:
    page = client.get("/login")
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match
    data = {"email": "fin@example.com", "password": "wrong-guess", "csrf": match.group(1)}
    cookies = dict(client.cookies)

    def guess(_: int) -> int:
        with TestClient(client.app, cookies=cookies) as c:
            return c.post("/login", data=data).status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        codes = list(pool.map(guess, range(24)))
    assert codes.count(401) <= 5 and codes.count(401) + codes.count(429) == 24, codes
    with Session(committed_db.engine) as s:
        assert len(s.exec(select(LoginFailure)).all()) == codes.count(401)


def test_lockout_settings_are_checked() -> None:
    for name, value in (("login_max_failures", 0), ("login_lockout_minutes", 0)):
        with pytest.raises(ValidationError, match=name):
            Settings(database_url="sqlite://", secret_key="k" * 40, **{name: value})


def test_a_new_password_set_by_an_admin_lifts_the_lockout(
    client: TestClient, committed_db: Database
) -> None:
    for _ in range(5):
        assert _login(client, "fin@example.com", "wrong-guess") == 401
    assert _login(client, "fin@example.com", "finance-pass") == 429
    with Session(committed_db.engine) as s:
        user = service.get_user_by_email(session=s, email="fin@example.com")
        assert user is not None
        service.set_password(session=s, user=user, password="fresh-finance", actor="cli")
        s.commit()
    assert _login(client, "fin@example.com", "fresh-finance") == 303
