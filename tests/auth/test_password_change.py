"""Changing your own password on the account page."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.auth.models import AuditLog
from tests.auth import login_client
from tests.auth.login_client import _app_of, _login
from tests.conftest import Database

# Shared fixtures, bound in this module for pytest to find.
client = login_client.client


def _change_password(client: TestClient, current: str, new: str, confirm: str | None = None):  # type: ignore[no-untyped-def]
    page = client.get("/account")
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match
    return client.post(
        "/account/password",
        data={"csrf": match.group(1), "current": current, "new": new, "confirm": confirm or new},
        follow_redirects=False,
    )


def test_changing_your_password_logs_out_your_other_browsers(
    client: TestClient, committed_db: Database
) -> None:
    other = _app_of(client)
    assert _login(client, "fin@example.com", "finance-pass") == 303
    assert _login(other, "fin@example.com", "finance-pass") == 303
    page = client.get("/")
    assert 'href="/account"' in page.text
    account = client.get("/account")
    assert "fin@example.com" in account.text and "Change your password" in account.text
    done = _change_password(client, "finance-pass", "new-finance-pass")
    assert done.status_code == 303
    assert done.headers["location"].startswith("/account?message=Password+changed&sig=")
    assert "Password changed" in client.get(done.headers["location"]).text
    assert client.get("/api/v1/me").json()["email"] == "fin@example.com"
    assert other.get("/api/v1/me").status_code == 401
    assert _login(_app_of(client), "fin@example.com", "finance-pass") == 401
    assert _login(_app_of(client), "fin@example.com", "new-finance-pass") == 303
    with Session(committed_db.engine) as s:
        entry = s.exec(select(AuditLog).where(AuditLog.action == "user.password")).one()
        assert entry.actor == entry.target == "fin@example.com"


def test_a_password_change_is_refused_naming_what_is_wrong(client: TestClient) -> None:
    assert _login(client, "fin@example.com", "finance-pass") == 303
    cases = (
        (("wrong-pass", "new-finance-pass", None), "Your current password is wrong."),
        (("finance-pass", "new-finance-pass", "other-pass"), "its confirmation differ"),
        (("finance-pass", "short", None), "The new password must be at least 8 characters."),
    )
    for args, message in cases:
        refused = _change_password(client, *args)
        assert refused.status_code == 400 and message in refused.text, message
    assert _login(_app_of(client), "fin@example.com", "finance-pass") == 303


def test_guessing_the_current_password_locks_the_form(client: TestClient) -> None:
    assert _login(client, "fin@example.com", "finance-pass") == 303
    for _ in range(5):
        assert _change_password(client, "guess-guess", "new-finance-pass").status_code == 400
    locked = _change_password(client, "finance-pass", "new-finance-pass")
    assert locked.status_code == 429 and "Too many failed logins" in locked.text
    assert _login(_app_of(client), "fin@example.com", "finance-pass") == 303
