"""Login and logout pages."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app.auth import logins, service
from app.auth.models import User
from app.core.settings import Settings
from app.core.templating import templates
from app.deps import SESSION_KEY, SessionDep, SettingsDep

router = APIRouter(tags=["pages"])

LOGIN_FAILED = "Invalid e-mail or password."
#: The longest e-mail a user can have (RFC 5321's path limit; the column's length).
MAX_EMAIL_LENGTH = 320


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def csrf_ok(request: Request, submitted: str) -> bool:
    """Whether a submitted form carries the session's CSRF token."""
    expected = request.session.get("csrf")
    # Bytes: compare_digest refuses str with non-ASCII characters (a forged token may have).
    return isinstance(expected, str) and secrets.compare_digest(
        expected.encode(), submitted.encode("utf-8", "surrogatepass")
    )


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> Response:
    """Show the login form."""
    return templates.TemplateResponse(
        request, "auth/login.html", {"csrf": csrf_token(request), "next": next, "error": None}
    )


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Check the credentials; one generic message whatever was wrong.

    Too many failures for the e-mail from this client (see :mod:`app.auth.logins`)
    answer 429 without checking the password, so guessing costs the guesser time.
    """

    def form(error: str, status_code: int, headers: dict[str, str] | None = None) -> Response:
        context = {"csrf": csrf_token(request), "next": next, "error": error}
        return templates.TemplateResponse(
            request, "auth/login.html", context, status_code=status_code, headers=headers
        )

    if not csrf_ok(request, csrf):
        return form("Session expired; try again.", 400)
    address = service.normalise_email(email)
    if len(address) > MAX_EMAIL_LENGTH or "\x00" in address:  # no user has such an e-mail
        return form(LOGIN_FAILED, 401)
    outcome = guarded_check(
        request,
        session,
        settings,
        address,
        lambda: service.authenticate(session=session, email=email, password=password),
    )
    if isinstance(outcome, logins.Lockout):
        return form(outcome.message(), 429, {"Retry-After": str(outcome.retry_after)})
    if outcome is None:
        return form(LOGIN_FAILED, 401)
    start_login(request, session, settings, outcome)
    # Only a path of this site: not "//host" or "/\\host", which browsers read as another.
    target = next if next.startswith("/") and next[1:2] not in ("/", "\\") else "/"
    return RedirectResponse(target, status_code=303)


def guarded_check(
    request: Request,
    session: Session,
    settings: Settings,
    email: str,
    check: Callable[[], User | None],
) -> User | logins.Lockout | None:
    """Run a password ``check`` for ``email`` (the user, or None when the password is
    wrong) unless this client is locked out of that e-mail.

    The attempt is recorded and committed first (with whatever the request did before:
    this is the edge; see :mod:`app.auth.logins`); a refusal uncounts it, a success
    forgets the pair's failures, and the failure that reaches the limit is audited as
    ``login.locked``.
    """
    client, window = client_address(request), settings.login_lockout_minutes

    def locked(limit: int) -> logins.Lockout | None:
        return logins.lockout(
            session=session, email=email, client=client, max_failures=limit, window_minutes=window
        )

    attempt = logins.record_attempt(
        session=session, email=email, client=client, window_minutes=window
    )
    session.commit()  # counted from now on by every parallel attempt
    refused = locked(settings.login_max_failures)
    if refused is not None:
        logins.forget_attempt(session=session, attempt_id=attempt)
        return refused
    user = check()
    if user is not None:
        logins.clear_failures(session=session, email=email, client=client)
        return user
    if locked(settings.login_max_failures - 1) is not None:  # this failure reached the limit
        service.audit(session=session, actor=email, action="login.locked", client=client)
    return None


def start_login(request: Request, session: Session, settings: Settings, user: User) -> None:
    """Open a login for ``user`` in this browser, ending the one it held (whoever's it
    was: a copy of the old cookie must not outlive the next login on a shared screen)."""
    previous = request.session.get(SESSION_KEY)
    if isinstance(previous, str):
        logins.end_session(session=session, key=previous)
    assert user.id is not None
    key = logins.start_session(
        session=session,
        user_id=user.id,
        client=client_address(request),
        user_agent=request.headers.get("user-agent"),
        max_age=settings.session_max_age,
        lifetime=settings.session_lifetime,
    )
    request.session.clear()
    request.session[SESSION_KEY] = key
    request.session["csrf"] = secrets.token_urlsafe(32)


def client_address(request: Request) -> str:
    """The client's address as uvicorn reports it: a proxy's ``X-Forwarded-For`` is
    trusted from 127.0.0.1, or from the addresses in ``FORWARDED_ALLOW_IPS``."""
    return request.client.host if request.client else "unknown"


@router.post("/logout")
def logout(request: Request, session: SessionDep, csrf: Annotated[str, Form()] = "") -> Response:
    """End the session, when the form carries its CSRF token.

    Without it (a forged post from another site, or an expired page) nothing happens and
    the confirmation page is shown instead, so nobody can be logged out from afar. The
    session's row goes too, so a copy of the cookie no longer logs anyone in.
    """
    if not csrf_ok(request, csrf):
        return _confirm_logout(request)
    key = request.session.get(SESSION_KEY)
    if isinstance(key, str):
        logins.end_session(session=session, key=key)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/logout")
def logout_get(request: Request) -> Response:
    """Ask before logging out: a link or an image elsewhere must not end the session."""
    return _confirm_logout(request)


def _confirm_logout(request: Request) -> Response:
    if not request.session.get(SESSION_KEY):
        return RedirectResponse("/login", status_code=303)
    return templates.TemplateResponse(request, "auth/logout.html", {"csrf": csrf_token(request)})
