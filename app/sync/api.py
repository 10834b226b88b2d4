"""REST: connectors (secrets masked), sync runs, and "sync now" for admins and asset managers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy import func
from sqlmodel import select

from app.auth.models import User
from app.deps import AssetManagerUser, Offset, SessionDep, SettingsDep, area_user, one_of
from app.sync import configs
from app.sync.models import ConnectorConfig
from app.sync.runs import RUN_STATUSES, list_runs, run_view
from app.sync.schemas import (
    ConnectorPage,
    ConnectorRead,
    SyncResultRead,
    SyncRunPage,
    SyncRunRead,
)
from app.sync.service import sync_connector

router = APIRouter(prefix="/api/v1", tags=["sync"])
ConnectorsReader = Annotated[User, area_user("connectors")]


@router.get("/connectors", response_model=ConnectorPage)
def list_connectors(
    session: SessionDep,
    _: ConnectorsReader,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> ConnectorPage:
    """Configured connectors with their last run; secret fields are masked."""
    rows = configs.list_connectors(session=session)
    total = session.exec(select(func.count()).select_from(ConnectorConfig)).one()
    views = configs.connector_views(session=session, rows=rows[offset : offset + limit])
    items = [ConnectorRead(**view) for view in views]
    return ConnectorPage(items=items, total=int(total), limit=limit, offset=offset)


@router.get("/sync-runs", response_model=SyncRunPage)
def list_sync_runs(
    session: SessionDep,
    _: ConnectorsReader,
    connector: Annotated[
        str | None, Query(description="Only this connector's (its name, any case); 404 if none")
    ] = None,
    status: Annotated[str | None, one_of(RUN_STATUSES, "Only runs with this status")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> SyncRunPage:
    """Sync runs, newest first; filter by connector name and status."""
    runs, total = list_runs(
        session=session, connector=connector, status=status, limit=limit, offset=offset
    )
    items = [SyncRunRead(**run_view(run, name)) for run, name in runs]
    return SyncRunPage(items=items, total=total, limit=limit, offset=offset)


@router.post("/connectors/{name}/sync", response_model=SyncResultRead)
def sync_now(
    name: str, request: Request, session: SessionDep, settings: SettingsDep, _: AssetManagerUser
) -> SyncResultRead:
    """Sync one connector now and answer with the run's outcome (``status`` says if it failed)."""
    row = configs.get_connector_config(session=session, name=name)  # any case
    session.rollback()  # release the request's read transaction before the sync writes
    result = sync_connector(engine=request.app.state.engine, settings=settings, name=row.name)
    return SyncResultRead(**result.as_dict())
