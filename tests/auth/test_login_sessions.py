"""Login sessions: logout, copied cookies, idle and lifetime limits, deactivation."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select, update

from app.auth import logins, service
from app.auth.admin import update_user
from app.auth.models import LoginSession, User
from app.core.db import utcnow
from tests.auth import login_client
from tests.auth.login_client import _app_of, _login
from tests.conftest import Database

# Shared fixtures, bound in this module for pytest to find.
client = login_client.client


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


def _logout(client: TestClient) -> None:
    page = client.get("/logout")
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match
    client.post("/logout", data={"csrf": match.group(1)}, follow_redirects=False)


def test_a_copied_cookie_stops_working_at_logout(
    client: TestClient, committed_db: Database
) -> None:
    assert _login(client, "fin@example.com", "finance-pass") == 303
    copy = _app_of(client)
    copy.cookies.set("seatwise_session", client.cookies["seatwise_session"])
    assert copy.get("/api/v1/me").json()["email"] == "fin@example.com"
    with Session(committed_db.engine) as s:
        assert len(s.exec(select(LoginSession)).all()) == 1
    _logout(client)
    assert copy.get("/api/v1/me").status_code == 401
    page = copy.get("/", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    with Session(committed_db.engine) as s:
        assert s.exec(select(LoginSession)).all() == []


def test_two_logins_of_one_user_end_separately(client: TestClient) -> None:
    other = _app_of(client)
    assert _login(client, "fin@example.com", "finance-pass") == 303
    assert _login(other, "fin@example.com", "finance-pass") == 303
    _logout(client)
    assert client.get("/api/v1/me").status_code == 401
    assert other.get("/api/v1/me").json()["email"] == "fin@example.com"


def test_deactivating_a_user_ends_their_sessions_for_good(
    client: TestClient, committed_db: Database
) -> None:
    assert _login(client, "fin@example.com", "finance-pass") == 303
    with Session(committed_db.engine) as s:
        user = service.get_user_by_email(session=s, email="fin@example.com")
        assert user is not None and user.id is not None
        update_user(session=s, user_id=user.id, actor="admin@example.com", active=False)
        s.commit()
        assert s.exec(select(LoginSession)).all() == []
        update_user(session=s, user_id=user.id, actor="admin@example.com", active=True)
        s.commit()
    # Active again, but the old cookie's login is gone: a new login is needed.
    assert client.get("/api/v1/me").status_code == 401
    assert _login(client, "fin@example.com", "finance-pass") == 303
    assert client.get("/api/v1/me").status_code == 200


def test_a_session_idle_longer_than_its_max_age_is_over(
    client: TestClient, committed_db: Database
) -> None:
    max_age = 3600
    assert _login(client, "fin@example.com", "finance-pass") == 303
    with Session(committed_db.engine) as s:
        row = s.exec(select(LoginSession)).one()
        user = s.get(User, row.user_id)
        assert user is not None
        key = logins.start_session(
            session=s, user_id=row.user_id, client=None, user_agent=None, max_age=max_age
        )
        s.commit()
        later = utcnow() + timedelta(seconds=max_age - 5)
        assert logins.session_user(session=s, key=key, max_age=max_age, now=later) == user
        s.commit()
        # Used 5 s before it would have expired: it lives on from that use.
        much_later = later + timedelta(seconds=max_age - 5)
        assert logins.session_user(session=s, key=key, max_age=max_age, now=much_later) == user
        s.commit()
        idle = much_later + timedelta(seconds=max_age)
        assert logins.count_sessions(session=s, max_age=max_age, now=idle) == {}
        assert logins.count_sessions(session=s, max_age=max_age, now=much_later) == {user.id: 1}
        assert logins.session_user(session=s, key=key, max_age=max_age, now=idle) is None
        s.commit()
        assert logins.session_user(session=s, key=key, max_age=max_age, now=much_later) is None


def test_a_login_kept_busy_still_ends_after_its_lifetime(
    client: TestClient, committed_db: Database
) -> None:
    week = 7 * 24 * 3600  # the default lifetime, which the client's app uses
    assert _login(client, "fin@example.com", "finance-pass") == 303
    assert client.get("/api/v1/me").status_code == 200
    opened = utcnow() - timedelta(seconds=week - 60)
    with Session(committed_db.engine) as s:
        s.exec(update(LoginSession).values(created_at=opened))  # type: ignore[call-overload]
        s.commit()
    assert client.get("/api/v1/me").status_code == 200  # a minute left
    with Session(committed_db.engine) as s:
        [row] = s.exec(select(LoginSession)).all()
        counted = logins.count_sessions(session=s, max_age=3600, lifetime=week)
        assert counted == {row.user_id: 1}
        later = utcnow() + timedelta(seconds=61)
        assert logins.count_sessions(session=s, max_age=3600, lifetime=week, now=later) == {}
        earlier = update(LoginSession).values(created_at=opened - timedelta(seconds=61))
        s.exec(earlier)  # type: ignore[call-overload]
        s.commit()
    # Used a moment ago, yet opened over a week ago: over, and no longer counted open.
    assert client.get("/api/v1/me").status_code == 401
    with Session(committed_db.engine) as s:
        assert logins.count_sessions(session=s, max_age=3600, lifetime=week) == {}


def test_a_new_login_in_a_browser_ends_the_one_it_held(client: TestClient) -> None:
    assert _login(client, "fin@example.com", "finance-pass") == 303
    copy = _app_of(client)
    copy.cookies.set("seatwise_session", client.cookies["seatwise_session"])
    assert _login(client, "view@example.com", "viewer-pass") == 303
    assert client.get("/api/v1/me").json()["email"] == "view@example.com"
    assert copy.get("/api/v1/me").status_code == 401
