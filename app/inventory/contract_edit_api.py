"""REST twin of the contract edit page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from app.auth.models import User
from app.core.security import Role
from app.deps import RowId, SessionDep, require_roles
from app.inventory.contract_edit import ContractUpdate, update_contract
from app.inventory.contract_schemas import SubscriptionRead
from app.inventory.contracts import read_subscription

router = APIRouter(prefix="/api/v1", tags=["contracts"])

ContractEditor = Annotated[User, Depends(require_roles(Role.asset_manager, Role.procurement))]


@router.patch("/contracts/{contract_id}", response_model=SubscriptionRead)
def patch_contract(
    contract_id: RowId, body: ContractUpdate, session: SessionDep, user: ContractEditor
) -> SubscriptionRead:
    """Change fields of one contract (dates, seats, prices, owner, notes); answer it as
    ``GET /api/v1/subscriptions`` lists it (``id`` is in every item there)."""
    sub = update_contract(session=session, contract_id=contract_id, changes=body, actor=user.email)
    return read_subscription(session=session, subscription=sub)
