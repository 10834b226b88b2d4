"""Browser login sessions that can be ended, and a brake on password guessing.

A session is a row keyed by the SHA-256 of a random key that only the (signed) cookie
holds, so logging out, deactivating a user or an admin ending their sessions takes
effect on the next request even for a copied cookie. Failed logins are counted per
e-mail and client address within a window; past the limit the login form refuses to
check passwords until the oldest counted failure leaves the window.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.auth.models import LoginFailure, LoginSession, User
from app.core.db import utcnow
from app.core.security import hash_token

#: A session's last use is written at most this often (not on every page view).
TOUCH_EVERY = timedelta(seconds=60)
#: One client address may fail this many times the per-e-mail limit, over all e-mails.
CLIENT_FACTOR = 4


def start_session(
    *,
    session: Session,
    user: User,
    client: str | None,
    user_agent: str | None,
    max_age: int,
    now: datetime | None = None,
) -> str:
    """Open a login session for ``user``; return the key for the cookie (stored hashed).

    Sessions idle for longer than ``max_age`` seconds are deleted on the way.
    """
    now = now or utcnow()
    session.execute(
        sa.delete(LoginSession).where(
            col(LoginSession.last_seen_at) < now - timedelta(seconds=max_age)
        )
    )
    key = secrets.token_urlsafe(32)
    assert user.id is not None
    session.add(
        LoginSession(
            user_id=user.id,
            key_hash=hash_token(key),
            created_at=now,
            last_seen_at=now,
            client=(client or "")[:64] or None,
            user_agent=(user_agent or "")[:200] or None,
        )
    )
    return key


def session_user(
    *, session: Session, key: str, max_age: int, now: datetime | None = None
) -> User | None:
    """The active user of a live session key, or None (ended, idle too long, unknown)."""
    now = now or utcnow()
    row = session.exec(select(LoginSession).where(LoginSession.key_hash == hash_token(key))).first()
    if row is None:
        return None
    if row.last_seen_at <= now - timedelta(seconds=max_age):
        session.delete(row)
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return user


def end_session(*, session: Session, key: str) -> None:
    """End one login session (logout); an unknown key is already ended."""
    session.execute(sa.delete(LoginSession).where(col(LoginSession.key_hash) == hash_token(key)))


def end_user_sessions(*, session: Session, user_id: int) -> int:
    """End every login session of a user; return how many were open."""
    result = session.execute(sa.delete(LoginSession).where(col(LoginSession.user_id) == user_id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def count_sessions(*, session: Session) -> dict[int, int]:
    """Open login sessions per user id (for the users' list)."""
    rows = session.execute(
        sa.select(col(LoginSession.user_id), sa.func.count()).group_by(col(LoginSession.user_id))
    ).all()
    return {int(user_id): int(n) for user_id, n in rows}


@dataclass(frozen=True)
class Lockout:
    """Why and for how long logins are refused."""

    retry_after: int
    """Seconds until the oldest counted failure leaves the window."""

    def message(self) -> str:
        minutes = max(1, -(-self.retry_after // 60))
        unit = "minute" if minutes == 1 else "minutes"
        return f"Too many failed logins; try again in {minutes} {unit}."


def lockout(
    *,
    session: Session,
    email: str,
    client: str,
    max_failures: int,
    window_minutes: int,
    now: datetime | None = None,
) -> Lockout | None:
    """Whether logins of ``email`` from ``client`` are refused for now.

    Refused once the pair has failed ``max_failures`` times within the window, or the
    client ``CLIENT_FACTOR`` times as often over any e-mails (one address trying many
    accounts). Counting per pair means a stranger guessing someone's password locks
    out only themselves.
    """
    now = now or utcnow()
    since = now - timedelta(minutes=window_minutes)
    recent = col(LoginFailure.at) > since
    for where, limit in (
        ((col(LoginFailure.email) == email, col(LoginFailure.client) == client), max_failures),
        ((col(LoginFailure.client) == client,), max_failures * CLIENT_FACTOR),
    ):
        times = session.execute(
            sa.select(col(LoginFailure.at))
            .where(recent, *where)
            .order_by(col(LoginFailure.at).desc())
            .limit(limit)
        ).scalars()
        counted = list(times)
        if len(counted) >= limit:
            free_at = counted[-1] + timedelta(minutes=window_minutes)
            return Lockout(retry_after=max(1, int((free_at - now).total_seconds() + 0.999)))
    return None


def record_failure(
    *, session: Session, email: str, client: str, window_minutes: int, now: datetime | None = None
) -> None:
    """Count a failed login; failures older than the window are deleted on the way."""
    now = now or utcnow()
    session.execute(
        sa.delete(LoginFailure).where(
            col(LoginFailure.at) <= now - timedelta(minutes=window_minutes)
        )
    )
    session.add(LoginFailure(email=email, client=client[:64], at=now))


def clear_failures(*, session: Session, email: str, client: str) -> None:
    """Forget a pair's failures after it logged in."""
    session.execute(
        sa.delete(LoginFailure).where(
            col(LoginFailure.email) == email, col(LoginFailure.client) == client
        )
    )
