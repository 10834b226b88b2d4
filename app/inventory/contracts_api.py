"""REST: list contracts, upload a contracts file, download import templates."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response

from app.auth.models import User
from app.core.security import Role
from app.deps import Offset, SessionDep, area_user, require_roles
from app.inventory import contracts as service
from app.inventory.contract_rows import parse_contracts
from app.inventory.contract_schemas import (
    ImportRefusedRead,
    ImportResultRead,
    SubscriptionPage,
)
from app.inventory.import_templates import MEDIA_TYPES, template_bytes
from app.inventory.import_upload import DecimalComma, Uploaded, import_upload

router = APIRouter(prefix="/api/v1", tags=["contracts"])

ContractImporter = Annotated[User, Depends(require_roles(Role.asset_manager, Role.procurement))]
ContractsReader = Annotated[User, area_user("contracts")]
REFUSED: dict[int | str, dict[str, Any]] = {
    422: {
        "description": "The file was refused; nothing was written. `errors` lists every problem.",
        "model": ImportRefusedRead,
    }
}


@router.get("/subscriptions", response_model=SubscriptionPage)
def list_subscriptions(
    session: SessionDep,
    _: ContractsReader,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> SubscriptionPage:
    """Contracts by renewal date, with notice deadlines; money as decimal strings."""
    items, total = service.list_subscriptions(session=session, limit=limit, offset=offset)
    return SubscriptionPage(items=items, total=total, limit=limit, offset=offset)


@router.post("/imports/contracts", response_model=ImportResultRead, responses=REFUSED)
def import_contracts(
    session: SessionDep,
    _: ContractImporter,
    upload: Uploaded,
    decimal_comma: DecimalComma = False,
) -> ImportResultRead | JSONResponse:
    """Import a contracts file: every row or none; the same file twice changes nothing."""
    return import_upload(
        session,
        upload,
        lambda data: service.import_contracts(
            session=session, rows=parse_contracts(data, decimal_comma=decimal_comma)
        ),
    )


@router.get("/imports/templates/{kind}")
def import_template(
    _: ContractsReader,
    kind: str,
    format: Annotated[str, Query(pattern="^(csv|xlsx)$")] = "csv",
) -> Response:
    """An empty contracts or invoices file: the columns and one example row."""
    data = template_bytes(kind, format)
    return Response(
        data,
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{kind}_template.{format}"'},
    )
