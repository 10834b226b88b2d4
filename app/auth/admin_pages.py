"""Settings: users and roles, API tokens (shown once), policies, catalogue, notifications,
scheduled jobs, audit log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth import admin
from app.auth import service as auth_service
from app.auth.logins import count_sessions
from app.core import flash
from app.core.csrf import CsrfChecked
from app.core.errors import SeatwiseError
from app.core.pages import PostedForm, SettingsUser, render
from app.core.security import VALID_ROLES
from app.deps import Offset, RowId, SessionDep, SettingsDep
from app.findings import catalog_service, policies
from app.jobs import job_specs, next_runs, recent_runs
from app.notify import notification_settings
from app.notify.notification_settings import NotificationSettingsInvalid

router = APIRouter(tags=["pages"])


def _context(session: SessionDep, settings: SettingsDep, offset: int = 0) -> dict[str, Any]:
    entries, total = admin.audit_page(session=session, limit=50, offset=offset)
    return {
        "users": auth_service.list_users(session=session),
        "logins": count_sessions(
            session=session, max_age=settings.session_max_age, lifetime=settings.session_lifetime
        ),
        "roles": VALID_ROLES,
        "tokens": admin.list_tokens(session=session),
        "policies": policies.list_policies(session=session, settings=settings),
        "catalog": catalog_service.catalog_overrides(session=session),
        "audit": entries,
        "page": {"total": total, "limit": 50, "offset": offset},
        "job_runs": recent_runs(session=session, limit=20),
        "schedule": _schedule(session, settings),
        "timezone": settings.timezone,
        "notifications": notification_settings.list_notification_settings(
            session=session, settings=settings
        ),
    }


def _schedule(session: SessionDep, settings: SettingsDep) -> list[dict[str, Any]]:
    """Each job with its effective schedule and next run (as the scheduler will see them)."""
    specs = job_specs(session=session, settings=settings)
    upcoming = next_runs(specs)
    return [{"id": s.id, "schedule": s.schedule, "next": upcoming[s.id]} for s in specs]


def _page(
    request: Request,
    user: SettingsUser,
    session: SessionDep,
    settings: SettingsDep,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    context = {**_context(session, settings), "message": flash.message(request)}
    context.update(extra)
    return render(request, "settings/index.html", user, context, status_code=status_code)


@router.get("/settings", response_class=HTMLResponse)
def settings_page(
    request: Request,
    user: SettingsUser,
    session: SessionDep,
    settings: SettingsDep,
    offset: Offset = 0,
) -> Response:
    """Everything an admin configures, on one page."""
    context = {
        **_context(session, settings, offset),
        "message": flash.message(request),
    }
    return render(request, "settings/index.html", user, context)


def _done(request: Request, message: str, section: str = "") -> Response:
    anchor = f"#{section}" if section else ""
    query = flash.signed_query(request, [("message", message)])
    return RedirectResponse(f"/settings?{query}{anchor}", status_code=303)


def _refused(
    request: Request,
    user: SettingsUser,
    session: SessionDep,
    settings: SettingsDep,
    exc: SeatwiseError,
) -> Response:
    """Undo the half-made change, then show the page again with the reason."""
    session.rollback()
    return _page(request, user, session, settings, error=str(exc), status_code=exc.status_code)


@router.post("/settings/users", response_class=HTMLResponse)
def add_user(
    request: Request,
    user: SettingsUser,
    _csrf: CsrfChecked,
    session: SessionDep,
    settings: SettingsDep,
    email: Annotated[str, Form()],
    role: Annotated[str, Form()],
    password: Annotated[str, Form()],
) -> Response:
    """Create a user."""
    try:
        auth_service.create_user(
            session=session, email=email, role=role, password=password, actor=user.email
        )
    except SeatwiseError as exc:
        return _refused(request, user, session, settings, exc)
    return _done(request, "User created")


@router.post("/settings/users/{user_id}", response_class=HTMLResponse)
def change_user(
    request: Request,
    user_id: RowId,
    user: SettingsUser,
    _csrf: CsrfChecked,
    session: SessionDep,
    settings: SettingsDep,
    role: Annotated[str, Form()],
    active: Annotated[str, Form()] = "",
) -> Response:
    """Change a user's role or active flag."""
    try:
        admin.update_user(
            session=session, user_id=user_id, actor=user.email, role=role, active=bool(active)
        )
    except SeatwiseError as exc:
        return _refused(request, user, session, settings, exc)
    return _done(request, "User saved")


@router.post("/settings/users/{user_id}/logout", response_class=HTMLResponse)
def end_logins(
    request: Request,
    user_id: RowId,
    user: SettingsUser,
    _csrf: CsrfChecked,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """Log a user out of every browser."""
    try:
        admin.end_sessions(session=session, user_id=user_id, actor=user.email)
    except SeatwiseError as exc:
        return _refused(request, user, session, settings, exc)
    return _done(request, "Logins ended")


@router.post("/settings/tokens", response_class=HTMLResponse)
def add_token(
    request: Request,
    user: SettingsUser,
    _csrf: CsrfChecked,
    session: SessionDep,
    settings: SettingsDep,
    user_id: Annotated[int, Form()],
    name: Annotated[str, Form()],
) -> Response:
    """Make a token and show it this once."""
    try:
        token = admin.new_token(session=session, user_id=user_id, name=name, actor=user.email)
    except SeatwiseError as exc:
        return _refused(request, user, session, settings, exc)
    response = _page(request, user, session, settings, new_token=token)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/settings/tokens/{token_id}/revoke")
def revoke(
    request: Request, token_id: RowId, user: SettingsUser, _csrf: CsrfChecked, session: SessionDep
) -> Response:
    """Revoke a token."""
    admin.revoke_token(session=session, token_id=token_id, actor=user.email)
    return _done(request, "Token revoked")


@router.post("/settings/policies", response_class=HTMLResponse)
def save_policy(
    request: Request,
    user: SettingsUser,
    _csrf: CsrfChecked,
    session: SessionDep,
    settings: SettingsDep,
    application: Annotated[str, Form()] = "",
    inactive_days: Annotated[str, Form()] = "",
    never_used_grace_days: Annotated[str, Form()] = "",
) -> Response:
    """Set the global thresholds or one application's."""
    try:
        policies.set_policy(
            session=session,
            application=application.strip() or None,
            inactive_days=int(inactive_days) if inactive_days.strip() else None,
            never_used_grace_days=int(never_used_grace_days)
            if never_used_grace_days.strip()
            else None,
            actor=user.email,
        )
    except ValueError:
        return _page(
            request, user, session, settings, error="days must be whole numbers", status_code=422
        )
    except SeatwiseError as exc:
        return _refused(request, user, session, settings, exc)
    return _done(request, "Policy saved")


@router.post("/settings/catalog", response_class=HTMLResponse)
def save_catalog(
    request: Request,
    user: SettingsUser,
    _csrf: CsrfChecked,
    session: SessionDep,
    settings: SettingsDep,
    key: Annotated[str, Form()],
    name: Annotated[str, Form()],
    vendor: Annotated[str, Form()],
    category: Annotated[str, Form()],
    capabilities: Annotated[str, Form()] = "",
) -> Response:
    """Add or correct a catalogue application."""
    try:
        catalog_service.add_entry(
            session=session,
            key=key.strip(),
            name=name.strip(),
            vendor=vendor.strip(),
            category=category.strip(),
            capabilities=[c.strip() for c in capabilities.split(",") if c.strip()],
            actor=user.email,
        )
    except SeatwiseError as exc:
        return _refused(request, user, session, settings, exc)
    return _done(request, "Catalogue saved")


def _notification_form(form: PostedForm) -> dict[str, str]:
    """The notification settings a form sent (fields named as the settings)."""
    sent = {key: form.get(key) for key in notification_settings.KEYS}
    return {key: value for key, value in sent.items() if isinstance(value, str)}


NotificationForm = Annotated[dict[str, str], Depends(_notification_form)]


@router.post("/settings/notifications", response_class=HTMLResponse)
def save_notifications(
    request: Request,
    user: SettingsUser,
    _csrf: CsrfChecked,
    session: SessionDep,
    settings: SettingsDep,
    values: NotificationForm,
) -> Response:
    """Override notification recipients, schedules and thresholds (all or nothing)."""
    try:
        changed = notification_settings.update_notification_settings(
            session=session, settings=settings, values=values, actor=user.email
        )
    except NotificationSettingsInvalid as exc:
        session.rollback()
        return _page(
            request,
            user,
            session,
            settings,
            status_code=exc.status_code,
            error="Notification settings not saved: correct the fields marked below.",
            notify_errors=exc.problems,
            notify_values=values,
        )
    if not changed:
        return _done(request, "No notification setting changed", "notifications")
    return _done(request, f"Saved {len(changed)} notification setting(s)", "notifications")


@router.post("/settings/notifications/reset")
def reset_notification(
    request: Request,
    user: SettingsUser,
    _csrf: CsrfChecked,
    session: SessionDep,
    settings: SettingsDep,
    key: Annotated[str, Form()],
) -> Response:
    """Drop one override so the environment default applies again."""
    notification_settings.reset_notification_setting(
        session=session, settings=settings, key=key, actor=user.email
    )
    return _done(request, "Notification setting reset to the default", "notifications")
