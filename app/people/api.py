"""REST: people with their accounts per source and licences held."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.auth.models import User
from app.deps import Offset, SessionDep, area_user, one_of
from app.people import service
from app.people.service import PERSON_STATUSES

router = APIRouter(prefix="/api/v1", tags=["people"])
PeopleReader = Annotated[User, area_user("people")]


@router.get("/people")
def list_people(
    session: SessionDep,
    _: PeopleReader,
    status: Annotated[str | None, one_of(PERSON_STATUSES, "Only persons with this status")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """People (same fields as `seatwise people list --json`), by e-mail."""
    items, total = service.list_people(session=session, status=status, limit=limit, offset=offset)
    return {"items": items, "total": total, "limit": limit, "offset": offset}
