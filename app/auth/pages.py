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
def logout(request: Request) -> Response:
    """End the session."""
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/logout")
def logout_get(request: Request) -> Response:
    """End the session (link form, for keyboards and simple clients)."""
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
