"""Reading contract rows for the contract rules (renewals, notices, trials, duplicates)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd

from analytics.frames import day_numbers, day_to_iso
from analytics.money import PricingError, monthly_seat_cost, round_cents, to_decimal


@dataclass(frozen=True, slots=True)
class Contract:
    """One subscription row with its dates as day numbers (None when null)."""

    subscription_id: int
    contract_number: str
    vendor: str | None
    application_id: int | None
    product_id: int | None
    product_ref: str | None
    start: int | None
    end: int | None
    renewal: int | None
    auto_renew: bool
    notice_days: int | None
    billing_cycle: str | None
    seats: int | None
    unit_price: Decimal | None
    total_cost: Decimal | None
    currency: str | None
    is_trial: bool
    owner_email: str | None

    @property
    def names_product(self) -> bool:
        """Whether the contract names a product (linked to it, or not found in the inventory)."""
        return self.product_id is not None or self.product_ref is not None

    @property
    def subject(self) -> str:
        """The contract number, or a placeholder naming the id when it has none."""
        return self.contract_number or f"subscription {self.subscription_id}"

    def evidence(self) -> dict[str, Any]:
        """Return the contract facts every contract finding carries."""
        try:
            cost = monthly_seat_cost(
                unit_price=self.unit_price,
                total_cost=self.total_cost,
                seats=self.seats,
                billing_cycle=self.billing_cycle,
            )
        except PricingError:
            cost = None
        return {
            "subscription_id": self.subscription_id,
            "contract_number": self.contract_number,
            "vendor": self.vendor,
            "product_id": self.product_id,
            "start_date": _iso(self.start),
            "end_date": _iso(self.end),
            "renewal_date": _iso(self.renewal),
            "auto_renew": self.auto_renew,
            "notice_days": self.notice_days,
            "billing_cycle": self.billing_cycle,
            "seats": self.seats,
            "unit_price": None if self.unit_price is None else str(self.unit_price),
            "total_cost": None if self.total_cost is None else str(self.total_cost),
            "monthly_seat_cost": None if cost is None else str(round_cents(cost)),
            "currency": self.currency,
            "is_trial": self.is_trial,
            "owner_email": self.owner_email,
        }


def _iso(day: int | None) -> str | None:
    return day_to_iso(None if day is None else float(day))


def _int(value: Any) -> int | None:
    if value is None or value is pd.NA or value != value:
        return None
    return int(value)


def _text(value: Any) -> str | None:
    if value is None or value is pd.NA or value != value:
        return None
    return str(value)


def iter_contracts(subscriptions: pd.DataFrame) -> Iterator[Contract]:
    """Yield every subscription row as a ``Contract``."""
    starts = day_numbers(subscriptions["start_date"]).tolist()
    ends = day_numbers(subscriptions["end_date"]).tolist()
    renewals = day_numbers(subscriptions["renewal_date"]).tolist()
    columns = [
        "subscription_id",
        "contract_number",
        "vendor",
        "application_id",
        "product_id",
        "product_ref",
        "auto_renew",
        "notice_days",
        "billing_cycle",
        "seats",
        "unit_price",
        "total_cost",
        "currency",
        "is_trial",
        "owner_email",
    ]
    records: list[dict[str, Any]] = [
        {str(k): v for k, v in r.items()} for r in subscriptions[columns].to_dict("records")
    ]
    for start, end, renewal, row in zip(starts, ends, renewals, records, strict=True):
        yield Contract(
            subscription_id=int(row["subscription_id"]),
            contract_number=_text(row["contract_number"]) or "",
            vendor=_text(row["vendor"]),
            application_id=_int(row["application_id"]),
            product_id=_int(row["product_id"]),
            product_ref=(_text(row["product_ref"]) or "").strip() or None,
            start=_int(start),
            end=_int(end),
            renewal=_int(renewal),
            auto_renew=bool(row["auto_renew"]),
            notice_days=_int(row["notice_days"]),
            billing_cycle=_text(row["billing_cycle"]),
            seats=_int(row["seats"]),
            unit_price=to_decimal(row["unit_price"]),
            total_cost=to_decimal(row["total_cost"]),
            currency=_text(row["currency"]),
            is_trial=bool(row["is_trial"]),
            owner_email=_text(row["owner_email"]),
        )


def is_active(contract: Contract, today: int) -> bool:
    """Return whether a contract is active today: start <= today <= end (nulls are open)."""
    return (contract.start is None or contract.start <= today) and (
        contract.end is None or today <= contract.end
    )
