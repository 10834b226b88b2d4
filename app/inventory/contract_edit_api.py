"""REST twin of the contract edit page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from app.auth.models import User
from app.core.security import Role
from app.deps import RowId, SessionDep, require_roles
from app.inventory.contract_edit import ContractUpdate, update_contract

router = APIRouter(prefix="/api/v1", tags=["contracts"])

ContractEditor = Annotated[User, Depends(require_roles(Role.asset_manager, Role.procurement))]


@router.patch("/contracts/{contract_id}")
def patch_contract(
    contract_id: RowId, body: ContractUpdate, session: SessionDep, user: ContractEditor
) -> dict[str, Any]:
    """Change fields of one contract (dates, seats, prices, owner, notes)."""
    sub = update_contract(session=session, contract_id=contract_id, changes=body, actor=user.email)
    return sub.model_dump(mode="json")
