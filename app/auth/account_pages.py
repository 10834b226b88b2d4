"""Your account: who you are logged in as, and changing your own password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth import logins, service
from app.auth.pages import guarded_check, start_login
from app.core import flash
from app.core.csrf import CsrfChecked
from app.core.errors import InvalidInputError
from app.core.pages import render
from app.core.security import verify_password
from app.deps import CurrentUser, SessionDep, SettingsDep

router = APIRouter(tags=["pages"])

CURRENT_WRONG = "Your current password is wrong."


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, user: CurrentUser) -> Response:
    """The account page: e-mail, role, and the change-password form."""
    message = flash.message(request)
    return render(request, "auth/account.html", user, {"message": message, "error": None})


@router.post("/account/password", response_class=HTMLResponse)
def change_password(
    request: Request,
    user: CurrentUser,
    _csrf: CsrfChecked,
    session: SessionDep,
    settings: SettingsDep,
    current: Annotated[str, Form()] = "",
    new: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    """Change your own password; every other login of yours ends, this one starts afresh.

    The current password is checked like a login (wrong ones count towards the lockout),
    so a session left open on someone else's screen cannot be turned into the account.
    """

    def refused(error: str, status_code: int, headers: dict[str, str] | None = None) -> Response:
        context = {"message": None, "error": error}
        return render(
            request, "auth/account.html", user, context, status_code=status_code, headers=headers
        )

    outcome = guarded_check(
        request,
        session,
        settings,
        user.email,
        lambda: user if verify_password(current, user.password_hash) else None,
    )
    if isinstance(outcome, logins.Lockout):
        return refused(outcome.message(), 429, {"Retry-After": str(outcome.retry_after)})
    if outcome is None:
        service.audit(session=session, actor=user.email, action="password.failed")
        return refused(CURRENT_WRONG, 400)
    if new != confirm:
        return refused("The new password and its confirmation differ.", 400)
    try:
        service.set_password(session=session, user=user, password=new, actor=user.email)
    except InvalidInputError as exc:
        return refused(f"The new {exc}.", 400)
    start_login(request, session, settings, user)
    query = flash.signed_query(request, [("message", "Password changed")])
    return RedirectResponse(f"/account?{query}", status_code=303)
