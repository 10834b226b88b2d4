"""Edit an application's owner and category by hand (page, REST and CLI).

Nothing else sets them: syncs create applications with the catalogue's category and
no owner. Yet both matter: renewal alerts go to a contract's owner and, when it names
none, to its application's owner; spend by category and the overlap rules read the
category. So asset managers set them here, and every change is audited.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select

from app.auth.service import audit
from app.core.db import MAX_ROW_ID, contains_text, get_row
from app.core.emails import checked_address
from app.core.errors import NotFoundError
from app.inventory.models import Application, Vendor


class ApplicationUpdate(BaseModel):
    """Fields of an application to change; all optional. An empty text clears the field."""

    model_config = ConfigDict(extra="forbid")

    owner_email: str | None = Field(default=None, max_length=320)
    category: str | None = Field(default=None, max_length=100)


class ApplicationRead(BaseModel):
    """One application as ``GET /api/v1/applications`` and ``inventory applications`` show it."""

    id: int
    name: str
    vendor: str | None
    category: str | None
    owner_email: str | None
    status: str


def find_application(*, session: Session, ref: str) -> Application:
    """An application by id or by name (any case), for the CLI.

    Raises:
        NotFoundError: naming what was asked for.
    """
    text = ref.strip()
    number = int(text) if text.isascii() and text.isdigit() else None
    in_range = number is not None and number <= MAX_ROW_ID
    app = session.get(Application, number) if in_range else None
    if app is None:
        app = session.exec(
            select(Application).where(sa.func.lower(col(Application.name)) == text.lower())
        ).first()
    if app is None:
        raise NotFoundError(f"no application with id or name {ref!r}")
    return app


def get_application(*, session: Session, application_id: int) -> Application:
    """One application by id."""
    return get_row(session, Application, application_id, "application")


def _category_key(text: str) -> str:
    return re.sub(r"[\s_\-]+", "_", text.strip().casefold())


def canonical_category(*, session: Session, text: str) -> str:
    """The category ``text`` means, spelled as it already is: a catalogue category (by key
    or name: "Video Conferencing" is ``video_conferencing``) or one an application already
    has, in any case and with spaces, hyphens or underscores alike; else ``text`` itself.

    Spend by category and the overlap rules compare categories exactly, so a second
    spelling of one would split its spend and hide its overlaps.
    """
    from analytics.catalog import load_catalog

    wanted = _category_key(text)
    for category in load_catalog().categories.values():
        if wanted in (_category_key(category.key), _category_key(category.name)):
            return category.key
    used = session.exec(
        select(Application.category).where(col(Application.category).is_not(None)).distinct()
    ).all()
    for existing in sorted(c for c in used if c):
        if _category_key(existing) == wanted:
            return existing
    return " ".join(text.split())


def update_application(
    *, session: Session, application: Application, changes: ApplicationUpdate, actor: str
) -> Application:
    """Apply the given fields and audit what changed (nothing is audited when nothing did).

    Raises:
        InvalidInputError: the owner is not an e-mail address.
    """
    values: dict[str, Any] = {}
    for name, value in changes.model_dump(exclude_unset=True).items():
        text = (value or "").strip()
        values[name] = text or None
    if values.get("owner_email"):
        values["owner_email"] = checked_address(values["owner_email"], "owner_email")
    if values.get("category"):
        values["category"] = canonical_category(session=session, text=values["category"])
    before: dict[str, str | None] = {}
    after: dict[str, str | None] = {}
    for name, value in values.items():
        if getattr(application, name) != value:
            before[name], after[name] = getattr(application, name), value
            setattr(application, name, value)
    if after:
        session.add(application)
        session.flush()
        audit(
            session=session,
            actor=actor,
            action="application.update",
            target=application.name,
            before=before,
            after=after,
        )
    return application


def read_application(*, session: Session, application: Application) -> ApplicationRead:
    """The API shape of one application."""
    vendor = session.get(Vendor, application.vendor_id) if application.vendor_id else None
    assert application.id is not None
    return ApplicationRead(
        id=application.id,
        name=application.name,
        vendor=vendor.name if vendor else None,
        category=application.category,
        owner_email=application.owner_email,
        status=application.status,
    )


def list_applications(
    *, session: Session, search: str = "", limit: int = 100, offset: int = 0
) -> tuple[list[ApplicationRead], int]:
    """Applications by name (a search matches the application's or the vendor's name)."""
    query = sa.select(
        col(Application.id),
        col(Application.name),
        col(Vendor.name),
        col(Application.category),
        col(Application.owner_email),
        col(Application.status),
    ).outerjoin(Vendor, col(Vendor.id) == col(Application.vendor_id))
    matches = contains_text(search, col(Application.name), col(Vendor.name))
    if matches is not None:
        query = query.where(matches)
    total = session.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(
        query.order_by(col(Application.name), col(Application.id)).limit(limit).offset(offset)
    ).all()
    items = [
        ApplicationRead(id=i, name=n, vendor=v, category=c, owner_email=o, status=s)
        for i, n, v, c, o, s in rows
    ]
    return items, int(total)
