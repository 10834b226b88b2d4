"""REST: applications (owner and category editable), synced products and accounts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.auth.models import User
from app.core.db import utcnow
from app.deps import ActiveDays, Offset, RowId, SessionDep, area_user, one_of
from app.inventory import service
from app.inventory.app_edit import (
    ApplicationRead,
    ApplicationUpdate,
    get_application,
    list_applications,
    read_application,
    update_application,
)
from app.inventory.inventory_schemas import (
    AccountPage,
    AccountRead,
    ApplicationPage,
    ProductPage,
    ProductRead,
)
from app.people.service import ACCOUNT_STATUSES

router = APIRouter(prefix="/api/v1", tags=["inventory"])
ConnectorName = Annotated[
    str | None, Query(description="Only this connector's (its name, any case); 404 if none")
]
# Whoever may open the applications pages (which list each holder) may read these.
InventoryReader = Annotated[User, area_user("applications")]
InventoryWriter = Annotated[User, area_user("applications_write")]


@router.get("/applications", response_model=ApplicationPage)
def applications(
    session: SessionDep,
    _: InventoryReader,
    search: str = "",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> ApplicationPage:
    """Applications by name with vendor, category and owner; ``search`` matches app or vendor."""
    items, total = list_applications(session=session, search=search, limit=limit, offset=offset)
    return ApplicationPage(items=items, total=total, limit=limit, offset=offset)


@router.patch("/applications/{application_id}", response_model=ApplicationRead)
def patch_application(
    application_id: RowId, body: ApplicationUpdate, session: SessionDep, user: InventoryWriter
) -> ApplicationRead:
    """Set an application's owner e-mail or category (an empty text clears it)."""
    app = get_application(session=session, application_id=application_id)
    update_application(session=session, application=app, changes=body, actor=user.email)
    return read_application(session=session, application=app)


@router.get("/products", response_model=ProductPage)
def list_products(
    session: SessionDep,
    _: InventoryReader,
    connector: ConnectorName = None,
    active_days: ActiveDays = 30,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> ProductPage:
    """Products with seats purchased, consumed, assigned and active (within active_days)."""
    now = utcnow()
    items, total = service.inventory_products(
        session=session,
        today=now.date(),
        now=now,
        active_days=active_days,
        connector=connector,
        limit=limit,
        offset=offset,
    )
    return ProductPage(
        items=[ProductRead(**i) for i in items], total=total, limit=limit, offset=offset
    )


@router.get("/accounts", response_model=AccountPage)
def list_accounts(
    session: SessionDep,
    _: InventoryReader,
    connector: ConnectorName = None,
    status: Annotated[
        str | None, one_of(ACCOUNT_STATUSES, "Only accounts with this status")
    ] = None,
    product: Annotated[
        str | None, Query(description="Holders of this product external id; 404 if none has it")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> AccountPage:
    """Current accounts; filter by connector name, status and held product."""
    items, total = service.inventory_accounts(
        session=session,
        connector=connector,
        status=status,
        product=product,
        limit=limit,
        offset=offset,
    )
    return AccountPage(
        items=[AccountRead(**i) for i in items], total=total, limit=limit, offset=offset
    )
