"""What every HTML page shares: who may open which area, the navigation, rendering.

``AREA_ROLES`` (kept in :mod:`app.deps`) is the single source of the role rules: page
guards, the REST reads of the same data, the navigation and the role-matrix test all
read it. Admins may do everything
(``require_roles`` always admits them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from app.auth.models import User
from app.auth.pages import csrf_token
from app.core.prefix import route_path
from app.core.security import Role
from app.core.templating import templates
from app.deps import AREA_ROLES, area_user


@dataclass(frozen=True)
class NavItem:
    """One entry of the main navigation."""

    label: str
    href: str
    area: str


NAV = (
    NavItem("Dashboard", "/", "dashboard"),
    NavItem("Applications", "/applications", "applications"),
    NavItem("People", "/people", "people"),
    NavItem("Findings", "/findings", "findings"),
    NavItem("Renewals", "/renewals", "renewals"),
    NavItem("Spend", "/spend", "spend"),
    NavItem("Contracts", "/contracts", "contracts"),
    NavItem("Connectors", "/connectors", "connectors"),
    NavItem("Settings", "/settings", "settings"),
)


def may(user: User | None, area: str) -> bool:
    """Whether ``user`` may open ``area``."""
    if user is None:
        return False
    return user.role == Role.admin.value or user.role in {r.value for r in AREA_ROLES[area]}


DashboardUser = Annotated[User, area_user("dashboard")]
ApplicationsUser = Annotated[User, area_user("applications")]
ApplicationsWriter = Annotated[User, area_user("applications_write")]
PeopleUser = Annotated[User, area_user("people")]
FindingsUser = Annotated[User, area_user("findings")]
FindingsWriter = Annotated[User, area_user("findings_write")]
RenewalsUser = Annotated[User, area_user("renewals")]
RenewalsWriter = Annotated[User, area_user("renewals_write")]
SpendUser = Annotated[User, area_user("spend")]
ContractsUser = Annotated[User, area_user("contracts")]
ContractsWriter = Annotated[User, area_user("contracts_write")]
ConnectorsUser = Annotated[User, area_user("connectors")]
SettingsUser = Annotated[User, area_user("settings")]


def today() -> date:
    """Today's date for pages (the edge may read the clock; analytics never do)."""
    return date.today()


def render(
    request: Request,
    template: str,
    user: User,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Render a page with what the layout needs: user, navigation, CSRF token."""
    nav = [item for item in NAV if may(user, item.area)]
    full = {
        "user": user,
        "nav": nav,
        "csrf": csrf_token(request),
        "path": route_path(request),
        "may": lambda area: may(user, area),
        "is_htmx": request.headers.get("hx-request") == "true",
        **(context or {}),
    }
    return templates.TemplateResponse(
        request, template, full, status_code=status_code, headers=dict(headers or {})
    )


async def read_form(request: Request) -> FormData:
    """The posted form, read on the event loop before the route runs.

    So a route that writes can be a plain function, run in the thread pool: an
    ``async`` route waiting for the database blocks the event loop and every other
    request with it (see :class:`app.inventory.import_upload.Upload`).
    """
    return await request.form()


#: The posted form of a route that is a plain function.
PostedForm = Annotated[FormData, Depends(read_form)]
