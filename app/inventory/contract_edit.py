"""Edit one contract by hand (the contracts page and ``PATCH /api/v1/contracts/{id}``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlmodel import Session

from app.auth.service import audit
from app.core.days import Day
from app.core.db import MAX_MONEY, MAX_ROW_ID, MONEY_SCALE, get_row, inexact, utcnow
from app.core.emails import checked_address
from app.core.errors import InvalidInputError
from app.inventory.models import Subscription


def _exact(value: Decimal) -> Decimal:
    if (problem := inexact(value, scale=MONEY_SCALE)) is not None:
        raise ValueError(f"{value} {problem}")
    return value


ExactMoney = Annotated[Decimal, AfterValidator(_exact)]
"""An amount the ``MONEY`` column gives back as typed (see ``app.core.db.inexact``)."""

BILLING_CYCLES = ("monthly", "quarterly", "annual", "biennial", "triennial")
REQUIRED = ("auto_renew", "billing_cycle", "notice_days")
"""Fields every contract has: a change may set them, not clear them."""


class ContractUpdate(BaseModel):
    """Fields of a contract to change; all optional."""

    model_config = ConfigDict(extra="forbid")

    end_date: Day | None = None
    renewal_date: Day | None = None
    auto_renew: bool | None = None
    notice_days: int | None = Field(default=None, ge=0, le=3650)
    billing_cycle: str | None = None
    seats: int | None = Field(default=None, ge=0, le=MAX_ROW_ID)
    unit_price: ExactMoney | None = Field(default=None, ge=0, lt=MAX_MONEY)
    total_cost: ExactMoney | None = Field(default=None, ge=0, lt=MAX_MONEY)
    cost_centre: str | None = Field(default=None, max_length=100)
    owner_email: str | None = Field(default=None, max_length=320)
    notes: str | None = Field(default=None, max_length=10_000)


def get_contract(*, session: Session, contract_id: int) -> Subscription:
    """One contract by id."""
    return get_row(session, Subscription, contract_id, "contract")


def update_contract(
    *, session: Session, contract_id: int, changes: ContractUpdate, actor: str
) -> Subscription:
    """Apply the given fields to a contract and audit what changed."""
    sub = get_contract(session=session, contract_id=contract_id)
    values: dict[str, Any] = changes.model_dump(exclude_unset=True)
    kept = sorted(k for k in REQUIRED if k in values and values[k] is None)
    if kept:
        raise InvalidInputError(f"{', '.join(kept)}: required, cannot be cleared")
    cycle = values.get("billing_cycle")
    if cycle is not None and cycle not in BILLING_CYCLES:
        raise InvalidInputError(
            f"unknown billing cycle {cycle!r}; expected one of {', '.join(BILLING_CYCLES)}"
        )
    if values.get("owner_email"):
        values["owner_email"] = checked_address(values["owner_email"], "owner_email")
    start = values.get("start_date", sub.start_date)
    for name in ("end_date", "renewal_date"):  # the import's rule, in the same words
        day = values.get(name, getattr(sub, name))
        if day is not None and start is not None and day < start:
            words = name.replace("_", " ")
            raise InvalidInputError(f"{words} {day} is before the start date {start}")
    changed = {}
    for name, value in values.items():
        if getattr(sub, name) != value:
            changed[name] = str(value) if value is not None else None
            setattr(sub, name, value)
    if changed:
        sub.updated_at = utcnow()
        session.add(sub)
        session.flush()
        audit(
            session=session,
            actor=actor,
            action="contract.update",
            target=sub.contract_number,
            **changed,
        )
    return sub
