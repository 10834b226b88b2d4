"""Administration: change users, list and revoke API tokens, read the audit log."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.auth.logins import end_user_sessions
from app.auth.models import ApiToken, AuditLog, User
from app.auth.service import audit, create_token, get_user
from app.core.db import MAX_ROW_ID, get_row, utcnow
from app.core.errors import ConflictError, InvalidInputError, NotFoundError
from app.core.security import VALID_ROLES


def update_user(
    *,
    session: Session,
    user_id: int,
    actor: str,
    role: str | None = None,
    active: bool | None = None,
) -> User:
    """Change a user's role or active flag; the last active admin cannot be demoted."""
    user = get_user(session=session, user_id=user_id)
    if user is None:
        raise NotFoundError(f"no user with id {user_id}")
    if role is not None and role not in VALID_ROLES:
        raise InvalidInputError(f"unknown role {role!r}; valid roles: {', '.join(VALID_ROLES)}")
    losing_admin = user.role == "admin" and (
        (role is not None and role != "admin") or active is False
    )
    if losing_admin:
        admins = session.exec(
            select(sa.func.count())
            .select_from(User)
            .where(col(User.role) == "admin", col(User.is_active).is_(True))
        ).one()
        if int(admins) <= 1:
            raise ConflictError("this is the last active admin; make another admin first")
    changes: dict[str, Any] = {}
    if role is not None and role != user.role:
        changes["role"] = role
        user.role = role
    if active is not None and active != user.is_active:
        changes["active"] = active
        user.is_active = active
        if not active:  # a deactivated user's open logins end with it
            assert user.id is not None
            end_user_sessions(session=session, user_id=user.id)
    if changes:
        session.add(user)
        session.flush()
        audit(session=session, actor=actor, action="user.update", target=user.email, **changes)
    return user


def end_sessions(*, session: Session, user_id: int, actor: str) -> int:
    """Log a user out everywhere (a lost laptop, a shared browser); return how many ended.

    Their next request from any browser needs a new login; API tokens are revoked apart.
    """
    user = get_user(session=session, user_id=user_id)
    if user is None:
        raise NotFoundError(f"no user with id {user_id}")
    ended = end_user_sessions(session=session, user_id=user_id)
    audit(session=session, actor=actor, action="user.logout", target=user.email, sessions=ended)
    return ended


def new_token(*, session: Session, user_id: int, name: str, actor: str) -> str:
    """Make an API token for a user; the token is returned once and stored hashed."""
    user = get_user(session=session, user_id=user_id) if 0 <= user_id <= MAX_ROW_ID else None
    if user is None:
        raise NotFoundError(f"no user with id {user_id}")
    if not name.strip():
        raise InvalidInputError("a token needs a name (what it is for)")
    token = create_token(session=session, email=user.email, name=name.strip(), actor=actor)
    session.flush()
    return token


def list_tokens(*, session: Session) -> list[dict[str, Any]]:
    """Every token (prefix only, never the secret) with its owner."""
    rows = session.exec(
        select(ApiToken, User.email)
        .join(User, col(User.id) == col(ApiToken.user_id))
        .order_by(col(ApiToken.created_at).desc())
    ).all()
    return [
        {
            "id": t.id,
            "user": email,
            "name": t.name,
            "prefix": t.prefix,
            "created_at": t.created_at,
            "last_used_at": t.last_used_at,
            "revoked_at": t.revoked_at,
        }
        for t, email in rows
    ]


def revoke_token(*, session: Session, token_id: int, actor: str) -> None:
    """Revoke a token; it stops working at once."""
    token = get_row(session, ApiToken, token_id, "API token")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.add(token)
        session.flush()
        audit(session=session, actor=actor, action="token.revoke", target=token.prefix)


def audit_page(
    *, session: Session, limit: int = 100, offset: int = 0, action: str | None = None
) -> tuple[list[AuditLog], int]:
    """Audit entries, newest first, and how many match."""
    query = select(AuditLog)
    counted = select(sa.func.count()).select_from(AuditLog)
    if action:
        query = query.where(col(AuditLog.action).startswith(action))
        counted = counted.where(col(AuditLog.action).startswith(action))
    rows = session.exec(
        query.order_by(col(AuditLog.at).desc(), col(AuditLog.id).desc()).limit(limit).offset(offset)
    ).all()
    return list(rows), int(session.exec(counted).one())
