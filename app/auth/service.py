"""Users, logins, API tokens and the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from app.auth.logins import TOUCH_EVERY, clear_failures, end_user_sessions
from app.auth.models import ApiToken, AuditLog, User
from app.core.db import utcnow
from app.core.emails import checked_address
from app.core.errors import ConflictError, InvalidInputError, NotFoundError
from app.core.security import (
    VALID_ROLES,
    hash_password,
    hash_token,
    new_api_token,
    verify_password,
)

MIN_PASSWORD_LENGTH = 8


def normalise_email(email: str) -> str:
    """Lower-case and strip an e-mail address (how every e-mail is compared)."""
    return email.strip().lower()


def audit(
    *, session: Session, actor: str, action: str, target: str | None = None, **details: Any
) -> AuditLog:
    """Record who did what to what."""
    entry = AuditLog(actor=actor, action=action, target=target, details=details)
    session.add(entry)
    return entry


def audit_many(
    *, session: Session, actor: str, action: str, entries: Sequence[tuple[str, dict[str, Any]]]
) -> None:
    """Record one action of one actor on many targets, ``(target, details)`` each, in one
    statement (the ORM inserts audit rows one at a time on SQLite)."""
    if entries:
        at = utcnow()
        session.execute(
            sa.insert(AuditLog),
            [
                {"at": at, "actor": actor, "action": action, "target": t, "details": d}
                for t, d in entries
            ],
        )


def create_user(
    *, session: Session, email: str, role: str, password: str, actor: str = "cli"
) -> User:
    """Create a user; refuse a duplicate e-mail, an unknown role or a short password."""
    email = checked_address(email, "e-mail")
    if role not in VALID_ROLES:
        raise InvalidInputError(f"unknown role {role!r}; valid roles: {', '.join(VALID_ROLES)}")
    check_new_password(password)
    if get_user_by_email(session=session, email=email) is not None:
        raise ConflictError(f"a user with e-mail {email} already exists")
    user = User(email=email, role=role, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    audit(session=session, actor=actor, action="user.create", target=email, role=role)
    return user


def check_new_password(password: str) -> None:
    """Refuse a password too short to be one."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInputError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")


def set_password(*, session: Session, user: User, password: str, actor: str) -> None:
    """Give a user a new password and end every login made with the old one.

    Whoever knew the old password (the reason to change it, often) is logged out too;
    the caller opens a fresh login for the browser that made the change, if any.
    """
    check_new_password(password)
    user.password_hash = hash_password(password)
    session.add(user)
    assert user.id is not None
    ended = end_user_sessions(session=session, user_id=user.id)
    clear_failures(session=session, email=user.email)  # a locked-out owner may log in at once
    audit(session=session, actor=actor, action="user.password", target=user.email, sessions=ended)


def get_user_by_email(*, session: Session, email: str) -> User | None:
    """Find a user by e-mail (case-insensitive)."""
    return session.exec(select(User).where(User.email == normalise_email(email))).first()


def get_user(*, session: Session, user_id: int) -> User | None:
    """Find a user by id."""
    return session.get(User, user_id)


def list_users(*, session: Session) -> list[User]:
    """Every user, by e-mail."""
    return list(session.exec(select(User).order_by(col(User.email))))


def authenticate(*, session: Session, email: str, password: str) -> User | None:
    """Check a login; audit success and failure alike; None on any failure."""
    user = get_user_by_email(session=session, email=email)
    ok = verify_password(password, user.password_hash if user else None)
    if user is None or not ok or not user.is_active:
        audit(session=session, actor=normalise_email(email), action="login.failed")
        return None
    user.last_login_at = utcnow()
    audit(session=session, actor=user.email, action="login", target=user.email)
    return user


TOKEN_NAME_LENGTH = 100
"""As long as ``ApiToken.name`` may be."""


def create_token(*, session: Session, email: str, name: str, actor: str = "cli") -> str:
    """Create an API token for a user; return the token (shown once, stored hashed).

    Raises:
        NotFoundError: No user has that e-mail.
        ConflictError: The user is deactivated: every call with the token would be
            refused (401), so it would only look like a working token.
    """
    user = get_user_by_email(session=session, email=email)
    if user is None:
        raise NotFoundError(f"no user with e-mail {normalise_email(email)}")
    if not user.is_active:
        raise ConflictError(
            f"{user.email} is deactivated, so every call with a token of theirs would be "
            f"refused (401); reactivate them first (Settings → Users, or PATCH "
            f'/api/v1/admin/users/{user.id} with {{"is_active": true}})'
        )
    if not 0 < len(name.strip()) <= TOKEN_NAME_LENGTH:
        raise InvalidInputError(f"a token's name has 1 to {TOKEN_NAME_LENGTH} characters")
    token, prefix, token_hash = new_api_token()
    assert user.id is not None
    session.add(ApiToken(user_id=user.id, name=name, token_hash=token_hash, prefix=prefix))
    audit(session=session, actor=actor, action="token.create", target=user.email, name=name)
    return token


@dataclass(frozen=True)
class TokenUser:
    """Who a bearer token speaks for, and whether its use is due to be recorded."""

    user: User
    token_id: int
    use_due: bool


def user_for_token(
    *, session: Session, token: str, now: datetime | None = None
) -> TokenUser | None:
    """The active user a bearer token belongs to, or None.

    Reads only. The token's use is recorded at most once a minute, apart from the
    request (:func:`record_token_use`): written in the request's own transaction it made
    an API call a writer until its end, on SQLite the database's one writer, on
    PostgreSQL the holder of the token's row, so every call with that token queued
    behind one that waited (an upload waiting for a sync).
    """
    now = now or utcnow()
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).first()
    if row is None or row.revoked_at is not None or row.id is None:
        return None
    if row.expires_at is not None and row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    due = row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY
    return TokenUser(user=user, token_id=row.id, use_due=due)


def record_token_use(*, conn: Connection, token_id: int, now: datetime) -> None:
    """Note that a token was used at ``now`` (a token ended meanwhile is simply not found)."""
    conn.execute(sa.update(ApiToken).where(col(ApiToken.id) == token_id).values(last_used_at=now))


def count_users(*, session: Session) -> int:
    """How many users exist."""
    return int(session.exec(select(func.count()).select_from(User)).one())
