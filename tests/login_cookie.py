"""A logged-in browser's cookie without the login form (for tests and benchmarks).

A real login spends an argon2 verification; this opens the login row and signs the
cookie as ``/login`` and Starlette's SessionMiddleware would.
"""

from __future__ import annotations

import base64
import json
import secrets

import itsdangerous
import sqlalchemy as sa
from sqlmodel import Session

from app.auth import logins
from app.deps import SESSION_KEY

#: The name SessionMiddleware gives the cookie (``app.main``).
COOKIE = "seatwise_session"


def login_cookie(engine: sa.Engine, user_id: int, secret_key: str, max_age: int) -> str:
    """The signed session cookie of a new login of ``user_id``."""
    with Session(engine) as session:
        key = logins.start_session(
            session=session, user_id=user_id, client="test", user_agent="test", max_age=max_age
        )
        session.commit()
    data = {SESSION_KEY: key, "csrf": secrets.token_urlsafe(16)}
    payload = base64.b64encode(json.dumps(data).encode())
    return itsdangerous.TimestampSigner(secret_key).sign(payload).decode()
