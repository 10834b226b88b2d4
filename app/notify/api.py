"""REST: the e-mail outbox (admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlmodel import col, select

from app.deps import AdminUser, Offset, SessionDep
from app.notify.models import Notification

router = APIRouter(prefix="/api/v1", tags=["outbox"])


class NotificationRead(BaseModel):
    """One outbox row (bodies left out)."""

    id: int
    kind: str
    recipient: str
    subject: str
    dedupe_key: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    sent_at: datetime | None
    error: str | None
    created_at: datetime
    attachments: list[str]


class NotificationPage(BaseModel):
    """A page of outbox rows."""

    items: list[NotificationRead]
    total: int
    limit: int
    offset: int


@router.get("/outbox", response_model=NotificationPage)
def get_outbox(
    session: SessionDep,
    user: AdminUser,
    status: Literal["pending", "sent", "failed"] | None = None,
    kind: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> NotificationPage:
    """Outbox rows, newest first, with attempts and the last error."""
    query = select(Notification)
    if status:
        query = query.where(Notification.status == status)
    if kind:
        query = query.where(Notification.kind == kind)
    total = session.exec(select(sa.func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(Notification.id).desc()).limit(limit).offset(offset)
    ).all()
    items = [
        NotificationRead(
            **r.model_dump(exclude={"attachments", "body_text", "body_html"}),
            attachments=[str(a.get("filename")) for a in r.attachments],
        )
        for r in rows
    ]
    return NotificationPage(items=items, total=int(total), limit=limit, offset=offset)
