"""REST: add a connector and test its credentials (what the connectors pages offer).

Secrets are write-only: they go in with the config, are encrypted at rest, and every
answer shows them masked.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from app.deps import AssetManagerUser, SessionDep, SettingsDep
from app.sync import configs
from app.sync.runs import describe_error
from app.sync.schemas import ConnectorRead

router = APIRouter(prefix="/api/v1", tags=["sync"])


class ConnectorCreate(BaseModel):
    """A new connector: its kind, a unique name, and its config (secrets included)."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(description="A registered connector kind, e.g. microsoft365 or slack.")
    name: str = Field(min_length=1, max_length=100, description="Unique name of the connector.")
    config: dict[str, Any] = Field(
        default_factory=dict,
        description="The connector's settings; secret fields are encrypted and never shown.",
    )


class ConnectorTestRead(BaseModel):
    """The outcome of a credentials test, in plain words."""

    connector: str
    ok: bool
    message: str


def _invalid_config(exc: configs.ConnectorConfigInvalid) -> JSONResponse:
    """A 422 problem naming the unknown and missing keys as well as saying so."""
    body = {
        "type": "about:blank",
        "title": exc.title,
        "status": exc.status_code,
        "detail": str(exc),
        "unknown": exc.unknown,
        "missing": exc.missing,
    }
    return JSONResponse(body, status_code=exc.status_code, media_type="application/problem+json")


@router.post(
    "/connectors",
    response_model=ConnectorRead,
    status_code=201,
    responses={409: {"description": "A connector of that name exists"}},
)
def add_connector(
    body: ConnectorCreate, session: SessionDep, settings: SettingsDep, _: AssetManagerUser
) -> Any:
    """Validate and store a connector; answer it with its secrets masked."""
    try:
        row = configs.add_connector(
            session=session, settings=settings, kind=body.kind, name=body.name, config=body.config
        )
    except configs.ConnectorConfigInvalid as exc:
        return _invalid_config(exc)
    [view] = configs.connector_views(session=session, rows=[row])
    return ConnectorRead(**view)


@router.post("/connectors/{name}/test", response_model=ConnectorTestRead)
def check_connector(
    name: str, session: SessionDep, settings: SettingsDep, _: AssetManagerUser
) -> ConnectorTestRead:
    """Check the connector's credentials with one cheap vendor call (``ok`` says if it worked)."""
    row = configs.get_connector_config(session=session, name=name)
    try:
        message, ok = str(configs.build_connector(row, settings).check()), True
    except Exception as exc:  # every failure is reported, in the words the UI uses
        message, ok = describe_error(exc), False
    return ConnectorTestRead(connector=row.name, ok=ok, message=message)
