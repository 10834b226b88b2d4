"""Web login, sessions, roles, health."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlmodel import Session, select, update

from app.auth import logins, service
from app.auth.admin import update_user
from app.auth.models import ApiToken, AuditLog, LoginFailure, LoginSession, User
from app.core.db import make_engine, utcnow
from app.core.security import Role
from app.core.settings import Settings
from app.deps import SessionDep, require_roles
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


def _app_of(client: TestClient) -> TestClient:
    """Another browser (its own cookies) on the same app, from another address."""
    return TestClient(client.app, client=("198.51.100.7", 50001))


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


def test_a_new_login_in_a_browser_ends_the_one_it_held(client: TestClient) -> None:
    assert _login(client, "fin@example.com", "finance-pass") == 303
    copy = _app_of(client)
    copy.cookies.set("seatwise_session", client.cookies["seatwise_session"])
    assert _login(client, "view@example.com", "viewer-pass") == 303
    assert client.get("/api/v1/me").json()["email"] == "view@example.com"
    assert copy.get("/api/v1/me").status_code == 401


def test_lockout_settings_are_checked() -> None:
    for name, value in (("login_max_failures", 0), ("login_lockout_minutes", 0)):
        with pytest.raises(ValidationError, match=name):
            Settings(database_url="sqlite://", secret_key="k" * 40, **{name: value})


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


def test_an_email_no_user_can_have_is_a_plain_failed_login(client: TestClient) -> None:
    assert _login(client, "a" * 400 + "@example.com", "finance-pass") == 401
    # A NUL character is refused before the form is read, as in every request.
    assert _login(client, "fin\x00@example.com", "finance-pass") == 422


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


def test_a_tokens_use_is_due_at_most_once_a_minute(session: Session) -> None:
    service.create_user(session=session, email="api@example.com", role="viewer", password="p" * 12)
    token = service.create_token(session=session, email="api@example.com", name="ci")
    start = utcnow()

    def due(seconds: int) -> bool:
        found = service.user_for_token(
            session=session, token=token, now=start + timedelta(seconds=seconds)
        )
        assert found is not None and found.user.email == "api@example.com"
        if found.use_due:
            now = start + timedelta(seconds=seconds)
            service.record_token_use(conn=session.connection(), token_id=found.token_id, now=now)
        session.expire_all()
        return found.use_due

    assert due(0)
    assert session.exec(select(ApiToken.last_used_at)).one() == start
    assert not due(59)
    assert due(61)
    assert service.user_for_token(session=session, token=token + "x") is None
