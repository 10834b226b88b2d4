"""Login and logout pages."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth import service
from app.core.templating import templates
from app.deps import SessionDep

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
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Check the credentials; one generic message whatever was wrong."""
    if not csrf_ok(request, csrf):
        return templates.TemplateResponse(
            request,
            "auth/login.html",
            {"csrf": csrf_token(request), "next": next, "error": "Session expired; try again."},
            status_code=400,
        )
    user = service.authenticate(session=session, email=email, password=password)
    if user is None:
        return templates.TemplateResponse(
            request,
            "auth/login.html",
            {"csrf": csrf_token(request), "next": next, "error": LOGIN_FAILED},
            status_code=401,
        )
    request.session.clear()
    request.session["user_id"] = user.id
    request.session["csrf"] = secrets.token_urlsafe(32)
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
async def logout(request: Request) -> Response:
    """End the session, when the form carries its CSRF token.

    Without it (a forged post from another site, or an expired page) nothing happens and
    the confirmation page is shown instead, so nobody can be logged out from afar.
    """
    form = await request.form()
    submitted = form.get("csrf")
    if not csrf_ok(request, submitted if isinstance(submitted, str) else ""):
        return _confirm_logout(request)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/logout")
def logout_get(request: Request) -> Response:
    """Ask before logging out: a link or an image elsewhere must not end the session."""
    return _confirm_logout(request)


def _confirm_logout(request: Request) -> Response:
    if not request.session.get("user_id"):
        return RedirectResponse("/login", status_code=303)
    return templates.TemplateResponse(request, "auth/logout.html", {"csrf": csrf_token(request)})
