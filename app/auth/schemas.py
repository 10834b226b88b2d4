"""API shapes of users and tokens."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, EmailStr

from app.core.security import Role


class UserCreate(BaseModel):
    """A new user."""

    email: EmailStr
    role: Role
    password: str


class UserRead(BaseModel):
    """A user as the API and `user list --json` show it (never the hash)."""

    id: int
    email: str
    role: str
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None
