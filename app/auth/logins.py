"""Browser login sessions that can be ended, and a brake on password guessing.

A session is a row keyed by the SHA-256 of a random key that only the (signed) cookie
holds, so logging out, deactivating a user or an admin ending their sessions takes
effect on the next request even for a copied cookie. Failed logins are counted per
e-mail and client address within a window; past the limit the login form refuses to
check passwords until the oldest counted failure leaves the window.

Each attempt is recorded as a failure, and committed, *before* its password is checked
(the edge commits it, then checks), and the count includes it: parallel
guesses then see one another, instead of all reading "4 so far" and all being checked.
A success deletes the pair's failures, its own included.

There is deliberately no limit per client address over all e-mails: an office behind
one NAT address (or a proxy whose ``X-Forwarded-For`` is not trusted) would let one
person lock everyone out. Nor per e-mail over all addresses, which would let anyone
lock a known user out.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col

from app.auth.models import LoginFailure, LoginSession, User
from app.core.db import utcnow
from app.core.security import hash_token

#: A session's last use is written at most this often (not on every page view).
TOUCH_EVERY = timedelta(seconds=60)
#: Longest client address kept (an IPv6 address with a zone fits).
CLIENT_LENGTH = 64


def start_session(
    *,
    session: Session,
    user_id: int,
    client: str | None,
    user_agent: str | None,
    max_age: int,
    lifetime: int | None = None,
    now: datetime | None = None,
) -> str:
    """Open a login session for a user; return the key for the cookie (stored hashed).

    Sessions idle for longer than ``max_age`` seconds, or opened more than ``lifetime``
    seconds ago, are deleted on the way.
    """
    now = now or utcnow()
    over = col(LoginSession.last_seen_at) < now - timedelta(seconds=max_age)
    if lifetime is not None:
        over = sa.or_(over, col(LoginSession.created_at) < now - timedelta(seconds=lifetime))
    session.execute(sa.delete(LoginSession).where(over))
    key = secrets.token_urlsafe(32)
    session.add(
        LoginSession(
            user_id=user_id,
            key_hash=hash_token(key),
            created_at=now,
            last_seen_at=now,
            client=(client or "")[:CLIENT_LENGTH] or None,
            user_agent=(user_agent or "")[:200] or None,
        )
    )
    return key


def session_user(
    *,
    session: Session,
    key: str,
    max_age: int,
    lifetime: int | None = None,
    now: datetime | None = None,
) -> User | None:
    """The active user of a live session key, or None (ended, idle too long, unknown).

    ``lifetime``: seconds a login lasts at most, however often it is used; a stolen
    cookie kept busy then still stops working some day.
    """
    now = now or utcnow()
    found = session.execute(
        sa.select(
            col(LoginSession.id),
            col(LoginSession.user_id),
            col(LoginSession.last_seen_at),
            col(LoginSession.created_at),
        ).where(col(LoginSession.key_hash) == hash_token(key))
    ).first()
    if found is None:
        return None
    row_id, user_id, last_seen, created = found
    # Core statements, not ORM changes: a logout or an admin ending the login meanwhile
    # deletes the row, and a flush expecting to update it would fail the whole request.
    expired = lifetime is not None and created <= now - timedelta(seconds=lifetime)
    if expired or last_seen <= now - timedelta(seconds=max_age):
        session.execute(sa.delete(LoginSession).where(col(LoginSession.id) == row_id))
        return None
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    if now - last_seen >= TOUCH_EVERY:
        session.execute(
            sa.update(LoginSession).where(col(LoginSession.id) == row_id).values(last_seen_at=now)
        )
    return user


def end_session(*, session: Session, key: str) -> None:
    """End one login session (logout); an unknown key is already ended."""
    session.execute(sa.delete(LoginSession).where(col(LoginSession.key_hash) == hash_token(key)))


def end_user_sessions(*, session: Session, user_id: int) -> int:
    """End every login session of a user; return how many were open."""
    result = session.execute(sa.delete(LoginSession).where(col(LoginSession.user_id) == user_id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def count_sessions(
    *, session: Session, max_age: int, lifetime: int | None = None, now: datetime | None = None
) -> dict[int, int]:
    """Open login sessions per user id (for the users' list); idle and expired ones are over."""
    now = now or utcnow()
    live = [col(LoginSession.last_seen_at) > now - timedelta(seconds=max_age)]
    if lifetime is not None:
        live.append(col(LoginSession.created_at) > now - timedelta(seconds=lifetime))
    rows = session.execute(
        sa.select(col(LoginSession.user_id), sa.func.count())
        .where(*live)
        .group_by(col(LoginSession.user_id))
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
    """Whether this attempt of ``email`` from ``client``, already recorded, is refused.

    Refused when the pair had ``max_failures`` failures within the window before it;
    the count includes the attempt itself (see the module's docstring).
    """
    now = now or utcnow()
    counted = list(
        session.execute(
            sa.select(col(LoginFailure.at))
            .where(
                col(LoginFailure.at) > now - timedelta(minutes=window_minutes),
                col(LoginFailure.email) == email,
                col(LoginFailure.client) == client[:CLIENT_LENGTH],
            )
            .order_by(col(LoginFailure.at).desc())
            .limit(max_failures + 1)
        ).scalars()
    )
    if len(counted) <= max_failures:
        return None
    free_at = counted[-1] + timedelta(minutes=window_minutes)
    return Lockout(retry_after=max(1, int((free_at - now).total_seconds() + 0.999)))


def record_attempt(
    *, session: Session, email: str, client: str, window_minutes: int, now: datetime | None = None
) -> int:
    """Count an attempt as a failure until it succeeds; return its row id.

    Failures older than the window are deleted on the way.
    """
    now = now or utcnow()
    session.execute(
        sa.delete(LoginFailure).where(
            col(LoginFailure.at) <= now - timedelta(minutes=window_minutes)
        )
    )
    row = LoginFailure(email=email, client=client[:CLIENT_LENGTH], at=now)
    session.add(row)
    session.flush()
    assert row.id is not None
    return row.id


def forget_attempt(*, session: Session, attempt_id: int) -> None:
    """Uncount an attempt refused unchecked (a locked-out one must not extend the lockout)."""
    session.execute(sa.delete(LoginFailure).where(col(LoginFailure.id) == attempt_id))


def clear_failures(*, session: Session, email: str, client: str | None = None) -> None:
    """Forget a pair's failures after it logged in (every client's after a new password)."""
    query = sa.delete(LoginFailure).where(col(LoginFailure.email) == email)
    if client is not None:
        query = query.where(col(LoginFailure.client) == client[:CLIENT_LENGTH])
    session.execute(query)
