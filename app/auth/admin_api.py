"""REST twins of the settings pages: users, tokens, audit, policies, catalogue, notifications."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from app.auth import admin
from app.auth.schemas import UserRead
from app.deps import AdminUser, Offset, RowId, SessionDep, SettingsDep
from app.findings import catalog_service, policies
from app.notify import notification_settings
from app.notify.schemas import (
    NotificationSettingRead,
    NotificationSettingsSaved,
    NotificationSettingsUpdate,
)

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])


class UserUpdate(BaseModel):
    """Change a user's role or active flag."""

    role: str | None = None
    is_active: bool | None = None


class TokenCreate(BaseModel):
    """Whose token, and what it is for."""

    user_id: int
    name: str = Field(min_length=1, max_length=100)


class PolicySet(BaseModel):
    """Thresholds: global when ``application`` is None."""

    application: str | None = None
    inactive_days: int | None = Field(default=None, ge=1)
    never_used_grace_days: int | None = Field(default=None, ge=0)


class CatalogEntrySet(BaseModel):
    """A catalogue addition or correction."""

    key: str = Field(min_length=1, max_length=100)
    name: str
    vendor: str
    category: str
    capabilities: list[str] = Field(default_factory=list)
    is_suite: bool = False
    aliases: list[str] = Field(default_factory=list)
    website: str | None = None


@router.patch("/users/{user_id}", response_model=UserRead)
def update_user(user_id: RowId, body: UserUpdate, session: SessionDep, user: AdminUser) -> UserRead:
    """Change a user's role or deactivate them."""
    changed = admin.update_user(
        session=session, user_id=user_id, actor=user.email, role=body.role, active=body.is_active
    )
    return UserRead.model_validate(changed, from_attributes=True)


@router.post("/users/{user_id}/logout")
def end_sessions(user_id: RowId, session: SessionDep, user: AdminUser) -> dict[str, int]:
    """Log a user out of every browser; answers how many logins ended."""
    return {"ended": admin.end_sessions(session=session, user_id=user_id, actor=user.email)}


@router.get("/tokens")
def list_tokens(session: SessionDep, _: AdminUser) -> list[dict[str, Any]]:
    """Every API token (prefix only)."""
    return admin.list_tokens(session=session)


@router.post(
    "/tokens",
    status_code=201,
    responses={409: {"description": "The user is deactivated: a token of theirs would not work"}},
)
def create_token(body: TokenCreate, session: SessionDep, user: AdminUser) -> dict[str, str]:
    """Make a token for an active user; this answer is the only time it is shown."""
    token = admin.new_token(session=session, user_id=body.user_id, name=body.name, actor=user.email)
    return {"token": token}


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: RowId, session: SessionDep, user: AdminUser) -> None:
    """Revoke a token."""
    admin.revoke_token(session=session, token_id=token_id, actor=user.email)


@router.get("/audit")
def audit_log(
    session: SessionDep,
    _: AdminUser,
    action: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Who did what, newest first."""
    rows, total = admin.audit_page(session=session, limit=limit, offset=offset, action=action)
    return {
        "items": [r.model_dump(mode="json") for r in rows],
        "total": total,
        "limit": limit,
        "offset": offset,
    }


@router.get("/policies")
def list_policies(session: SessionDep, settings: SettingsDep, _: AdminUser) -> list[dict[str, Any]]:
    """Inactivity thresholds, global and per application."""
    return [vars(p) for p in policies.list_policies(session=session, settings=settings)]


@router.put("/policies")
def set_policy(body: PolicySet, session: SessionDep, user: AdminUser) -> dict[str, str]:
    """Set the global thresholds or one application's overrides."""
    policies.set_policy(
        session=session,
        application=body.application,
        inactive_days=body.inactive_days,
        never_used_grace_days=body.never_used_grace_days,
        actor=user.email,
    )
    return {"status": "saved"}


@router.get("/catalog")
def list_catalog(session: SessionDep, _: AdminUser) -> list[dict[str, Any]]:
    """The catalogue corrections stored in the database."""
    return [
        catalog_service.app_to_data(a) | {"key": a.key}
        for a in catalog_service.catalog_overrides(session=session)
    ]


@router.post("/catalog", status_code=201)
def add_catalog_entry(
    body: CatalogEntrySet, session: SessionDep, user: AdminUser
) -> dict[str, str]:
    """Add or correct a catalogue application."""
    catalog_service.add_entry(session=session, actor=user.email, **body.model_dump())
    return {"status": "saved", "key": body.key}


def _notification_settings(
    session: SessionDep, settings: SettingsDep
) -> list[NotificationSettingRead]:
    views = notification_settings.list_notification_settings(session=session, settings=settings)
    return [NotificationSettingRead.model_validate(v, from_attributes=True) for v in views]


@router.get("/notification-settings", response_model=list[NotificationSettingRead])
def list_notification_settings(
    session: SessionDep, settings: SettingsDep, _: AdminUser
) -> list[NotificationSettingRead]:
    """Recipients, schedules and thresholds in effect, each with its default and source."""
    return _notification_settings(session, settings)


@router.patch("/notification-settings", response_model=NotificationSettingsSaved)
def update_notification_settings(
    body: NotificationSettingsUpdate, session: SessionDep, settings: SettingsDep, user: AdminUser
) -> NotificationSettingsSaved:
    """Override the settings sent; all are refused (422, naming each) if one is invalid."""
    changed = notification_settings.update_notification_settings(
        session=session,
        settings=settings,
        values=body.model_dump(exclude_unset=True),
        actor=user.email,
    )
    return NotificationSettingsSaved(
        changed=changed, settings=_notification_settings(session, settings)
    )


@router.delete("/notification-settings/{key}", status_code=204)
def reset_notification_setting(
    key: str, session: SessionDep, settings: SettingsDep, user: AdminUser
) -> None:
    """Drop an override: the environment default applies again."""
    notification_settings.reset_notification_setting(
        session=session, settings=settings, key=key, actor=user.email
    )
