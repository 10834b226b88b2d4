"""REST: upcoming renewals and their negotiation state."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from app.auth.models import User
from app.core.security import Role
from app.deps import Offset, SessionDep, SettingsDep, require_roles
from app.renewals.service import MAX_NOTES, list_renewals, set_state

router = APIRouter(prefix="/api/v1", tags=["renewals"])

RenewalsUser = Annotated[User, Depends(require_roles(Role.procurement, Role.asset_manager))]


class RenewalRead(BaseModel):
    """An upcoming renewal with its negotiation task."""

    task_id: int
    subscription_id: int
    contract_number: str
    vendor: str
    application: str
    renewal_date: date
    notice_deadline: date | None
    auto_renew: bool
    days_to_deadline: int | None
    owner_email: str | None
    state: str
    decision: str | None
    recommended_seats: int | None = Field(
        description=(
            "Active seats plus 10 %, capped at the seats bought, as of today; when other "
            "contracts share the product, this contract's share (in proportion to seats "
            "bought) of that figure for the product."
        )
    )
    notes: str | None
    seats_bought: int | None = Field(description="The contract's seats (None: not stated).")
    seats_assigned: int = Field(description="Seats of the contract's product held now.")
    seats_active: int = Field(description="Of those, held by accounts active in 30 days.")
    annual_cost: Decimal | None = Field(description="Twelve months of the contract's cost.")
    cost_per_active_user: Decimal | None = Field(
        description=(
            "Annual cost per active seat, in the contract's currency; when other contracts "
            "share the product, all their annual costs together per active seat."
        )
    )
    currency: str | None = Field(description="The contract's currency.")


class RenewalPage(BaseModel):
    """A page of renewals."""

    items: list[RenewalRead]
    total: int
    limit: int
    offset: int


class RenewalUpdate(BaseModel):
    """Fields to change (all optional); ``decision`` goes with state ``decided``."""

    model_config = ConfigDict(extra="forbid")

    state: Literal["open", "negotiating", "decided"] | None = None
    decision: Literal["renew", "downsize", "cancel"] | None = None
    owner_email: str | None = Field(default=None, max_length=320)
    notes: str | None = Field(default=None, max_length=MAX_NOTES)


def _today(settings: SettingsDep) -> date:
    return datetime.now(settings.tz).date()


@router.get("/renewals", response_model=RenewalPage)
def get_renewals(
    session: SessionDep,
    settings: SettingsDep,
    user: RenewalsUser,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> RenewalPage:
    """Upcoming renewals, soonest first."""
    views, total = list_renewals(
        session=session, as_of=_today(settings), offset=offset, limit=limit
    )
    items = [RenewalRead(**v.as_dict()) for v in views]
    return RenewalPage(items=items, total=total, limit=limit, offset=offset)


@router.patch("/renewals/{contract_number}", response_model=RenewalRead)
def patch_renewal(
    contract_number: str,
    body: RenewalUpdate,
    session: SessionDep,
    settings: SettingsDep,
    user: RenewalsUser,
    vendor: Annotated[str | None, Query(description="Vendor, if numbers repeat.")] = None,
) -> RenewalRead:
    """Set the negotiation state, decision, owner or notes of a contract's next renewal."""
    view = set_state(
        session=session,
        contract_number=contract_number,
        vendor=vendor,
        as_of=_today(settings),
        actor=user.email,
        state=body.state,
        decision=body.decision,
        owner_email=body.owner_email,
        notes=body.notes,
    )
    return RenewalRead(**view.as_dict())
