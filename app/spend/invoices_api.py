"""REST: upload an invoices file."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from app.auth.models import User
from app.core.security import Role
from app.deps import SessionDep, require_roles
from app.inventory.contract_schemas import ImportResultRead
from app.inventory.contracts_api import REFUSED
from app.inventory.import_upload import DecimalComma, Uploaded, import_upload
from app.spend import invoices as service
from app.spend.invoice_rows import parse_invoices

router = APIRouter(prefix="/api/v1", tags=["invoices"])

InvoiceImporter = Annotated[
    User, Depends(require_roles(Role.asset_manager, Role.procurement, Role.finance))
]


@router.post("/imports/invoices", response_model=ImportResultRead, responses=REFUSED)
def import_invoices(
    session: SessionDep,
    _: InvoiceImporter,
    upload: Uploaded,
    decimal_comma: DecimalComma = False,
) -> ImportResultRead | JSONResponse:
    """Import an invoices file (contracts first): every row or none."""
    return import_upload(
        session,
        upload,
        lambda data: service.import_invoices(
            session=session, rows=parse_invoices(data, decimal_comma=decimal_comma)
        ),
    )
