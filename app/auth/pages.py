"""Login and logout pages."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth import logins, service
from app.core.templating import templates
from app.deps import SESSION_KEY, SessionDep, SettingsDep

router = APIRouter(tags=["pages"])

LOGIN_FAILED = "Invalid e-mail or password."


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
    return isinstance(expected, str) and secrets.compare_digest(expected, submitted)


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
    address, client = service.normalise_email(email), client_address(request)
    window = settings.login_lockout_minutes
    locked = logins.lockout(
        session=session,
        email=address,
        client=client,
        max_failures=settings.login_max_failures,
        window_minutes=window,
    )
    if locked is not None:
        service.audit(session=session, actor=address, action="login.locked", client=client)
        return form(locked.message(), 429, {"Retry-After": str(locked.retry_after)})
    user = service.authenticate(session=session, email=email, password=password)
    if user is None:
        logins.record_failure(session=session, email=address, client=client, window_minutes=window)
        return form(LOGIN_FAILED, 401)
    logins.clear_failures(session=session, email=address, client=client)
    key = logins.start_session(
        session=session,
        user=user,
        client=client,
        user_agent=request.headers.get("user-agent"),
        max_age=settings.session_max_age,
    )
    request.session.clear()
    request.session[SESSION_KEY] = key
    request.session["csrf"] = secrets.token_urlsafe(32)
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    return RedirectResponse(target, status_code=303)


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
