"""FastAPI dependencies every router uses: settings, session, current user, role guards."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from app.auth import logins
from app.auth import service as auth_service
from app.auth.models import User
from app.core.db import MAX_ROW_ID, lock_patience, utcnow
from app.core.prefix import route_path
from app.core.security import Role
from app.core.settings import Settings

log = logging.getLogger(__name__)

#: The cookie session's entry holding the login's key (:mod:`app.auth.logins`).
SESSION_KEY = "login"


class LoginRequired(Exception):
    """No valid session or token; pages redirect to /login, the API answers 401."""


class Forbidden(Exception):
    """The user's role may not do this; answered 403."""

    def __init__(self, role: str, allowed: tuple[str, ...]) -> None:
        super().__init__(f"role {role!r} may not do this (allowed: {', '.join(allowed)})")


def get_settings_dep(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


def get_engine(request: Request) -> Engine:
    """The app's engine."""
    engine: Engine = request.app.state.engine
    return engine


def get_session(request: Request) -> Iterator[Session]:
    """One session per request, committed when the route succeeds (the edge owns it).

    It ends with the route function (``scope="function"`` below), before the response
    leaves: the browser that follows a redirect after a login or a form then finds the
    change committed, and a commit that fails is the answer (500), not a success
    already sent.
    """
    with Session(get_engine(request), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


bearer_token = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description=(
        "An API token, made with `seatwise token create --email E --name N` or by an "
        "admin (Settings → API tokens, `POST /api/v1/admin/tokens`); shown once."
    ),
)
"""Reads ``Authorization: Bearer …``; declared so OpenAPI names the scheme (``/docs``'
Authorize). A missing header is no error here: the session cookie may stand in."""
BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_token)]


def get_current_user(request: Request, session: SessionDep, bearer: BearerCredentials) -> User:
    """The user behind the bearer token or the session cookie."""
    if bearer is not None:
        found = auth_service.user_for_token(session=session, token=bearer.credentials.strip())
        if found is None:
            raise LoginRequired
        if found.use_due:
            _record_token_use(get_engine(request), found.token_id)
        return found.user
    key = request.session.get(SESSION_KEY) if "session" in request.scope else None
    if isinstance(key, str):
        settings = get_settings_dep(request)
        user = logins.session_user(
            session=session,
            key=key,
            max_age=settings.session_max_age,
            lifetime=settings.session_lifetime,
        )
        if user is not None:
            _check_api_csrf(request)
            return user
    raise LoginRequired


TOKEN_USE_WAIT_SECONDS = 0.1
"""How long recording a token's use may wait for a lock before it is left for later."""


def _record_token_use(engine: Engine, token_id: int) -> None:
    """Record a token's use in a short transaction of its own, waiting for nobody.

    Best effort: while another writer holds the lock (a sync on SQLite, an update of the
    token), the request goes on unrecorded and a later one records it.
    """
    try:
        with engine.connect() as conn:
            with lock_patience(conn, TOKEN_USE_WAIT_SECONDS):
                auth_service.record_token_use(conn=conn, token_id=token_id, now=utcnow())
            conn.commit()
    except OperationalError as exc:
        log.info("a token's use was not recorded this time: %s", exc.orig)


def _check_api_csrf(request: Request) -> None:
    """A REST call that changes data on the strength of the session cookie must carry the
    session's CSRF token in ``X-CSRF-Token`` (as the pages' htmx calls do); a token call
    needs none. Pages check their forms' token themselves (:mod:`app.core.csrf`).

    Raises:
        CsrfRejected: An unsafe ``/api/`` request with a cookie and no valid token.
    """
    if request.method in {"GET", "HEAD", "OPTIONS"} or not route_path(request).startswith("/api/"):
        return
    from app.auth.pages import csrf_ok

    if not csrf_ok(request, request.headers.get("x-csrf-token", "")):
        from app.core.csrf import CsrfRejected

        raise CsrfRejected(
            "a change through the API with the session cookie needs the page's CSRF token "
            "in X-CSRF-Token (or use a bearer token)"
        )


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_roles(*roles: Role) -> Callable[[User], User]:
    """A dependency admitting admins and the given roles, refusing others with 403.

    The roles go to the bearer scheme as its scopes, so the OpenAPI document lists
    them on each operation (OpenAPI 3.1: role names for a non-OAuth scheme), whence
    :mod:`app.openapi` documents the 403.
    """
    allowed = tuple(sorted({Role.admin.value, *(r.value for r in roles)}))

    def guard(user: User) -> User:
        if user.role not in allowed:
            raise Forbidden(user.role, allowed)
        return user

    # Set as an object: a postponed (string) annotation cannot name the closure's roles.
    scoped = Security(get_current_user, scopes=list(allowed))
    guard.__annotations__["user"] = Annotated[User, scoped]
    return guard


AdminUser = Annotated[User, Depends(require_roles(Role.admin))]
AssetManagerUser = Annotated[User, Depends(require_roles(Role.asset_manager))]
FinanceUser = Annotated[User, Depends(require_roles(Role.finance))]


A, AM, FI, PR, VI = (
    Role.admin,
    Role.asset_manager,
    Role.finance,
    Role.procurement,
    Role.viewer,
)

#: Roles (besides admin) allowed in each area of the UI and of the REST reads of the same
#: data; ``*_write`` areas change data.
RowId = Annotated[int, Path(ge=0, le=MAX_ROW_ID, description="A row id.")]
"""A row id in a URL: a larger number is a 422 naming the limit, not a database error."""
Offset = Annotated[int, Query(ge=0, le=MAX_ROW_ID, description="Rows to skip.")]
"""A page's offset: bounded like ids, as the databases' integers are."""
ActiveDays = Annotated[
    int, Query(ge=1, le=36_500, description="An assignee counts as active within this many days.")
]


def one_of(allowed: Sequence[str], description: str) -> Any:
    """A query parameter taking one of ``allowed``: OpenAPI lists them as its enum, and the
    service refuses any other value naming them (:func:`app.core.errors.check_choice`)."""
    return Query(
        description=f"{description}: one of {', '.join(allowed)}",
        json_schema_extra={"enum": list(allowed)},
    )


AREA_ROLES: dict[str, tuple[Role, ...]] = {
    "dashboard": (AM, FI, PR, VI),
    "applications": (AM, FI, PR),
    "applications_write": (AM,),
    "people": (AM,),
    "findings": (AM, PR),
    "findings_write": (AM,),
    "renewals": (AM, PR),
    "renewals_write": (AM, PR),
    "spend": (FI,),
    "contracts": (AM, FI, PR),
    "contracts_write": (AM, PR),
    "connectors": (AM,),
    "settings": (A,),
}


def area_user(area: str) -> Any:
    """A dependency admitting the roles of ``area`` (403 for the others)."""
    return Depends(require_roles(*AREA_ROLES[area]))
