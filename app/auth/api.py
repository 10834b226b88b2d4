"""REST endpoints for users and the current identity."""

from __future__ import annotations

from fastapi import APIRouter

from app.auth import service
from app.auth.schemas import UserCreate, UserRead
from app.deps import AdminUser, CurrentUser, SessionDep

router = APIRouter(prefix="/api/v1", tags=["users"])


@router.get("/me", response_model=UserRead)
def me(user: CurrentUser) -> UserRead:
    """The user behind the token or session."""
    return UserRead.model_validate(user, from_attributes=True)


@router.get("/users", response_model=list[UserRead])
def list_users(session: SessionDep, _: AdminUser) -> list[UserRead]:
    """Every user (admins only)."""
    return [
        UserRead.model_validate(u, from_attributes=True)
        for u in service.list_users(session=session)
    ]


@router.post("/users", response_model=UserRead, status_code=201)
def create_user(body: UserCreate, session: SessionDep, admin: AdminUser) -> UserRead:
    """Create a user (admins only)."""
    user = service.create_user(
        session=session,
        email=body.email,
        role=body.role.value,
        password=body.password,
        actor=admin.email,
    )
    return UserRead.model_validate(user, from_attributes=True)
