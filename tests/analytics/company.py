"""A small fake company for the analytics tests: add rows, get validated frames."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd

from analytics.frames import Frames

TODAY = date(2026, 11, 25)


def days_ago(days: int) -> datetime:
    """Return a UTC timestamp ``days`` calendar days before TODAY (at 15:30)."""
    return datetime(TODAY.year, TODAY.month, TODAY.day, 15, 30, tzinfo=UTC) - timedelta(days=days)


class Company:
    """Rows of one fake company; ids are assigned in insertion order."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {
            "accounts": [],
            "persons": [],
            "assignments": [],
            "products": [],
            "applications": [],
            "subscriptions": [],
        }

    def _add(self, frame: str, id_column: str, row: dict[str, Any]) -> int:
        new_id = row.get(id_column) or len(self.rows[frame]) + 1
        row[id_column] = new_id
        self.rows[frame].append(row)
        return int(new_id)

    def app(
        self, name: str, *, is_suite: bool = False, capabilities: str | None = None, **kw: Any
    ) -> int:
        row = {
            "name": name,
            "vendor": kw.pop("vendor", name),
            "category": "productivity",
            "catalog_key": name.lower().replace(" ", "_"),
            "is_suite": is_suite,
            "capabilities": capabilities,
            **kw,
        }
        return self._add("applications", "application_id", row)

    def product(
        self,
        app_id: int,
        sku: str = "STD",
        *,
        list_price: Any = None,
        list_currency: str | None = "USD",
        seats_purchased: int | None = None,
        seats_consumed: int | None = None,
        is_free: bool = False,
        capabilities: str | None = None,
        **kw: Any,
    ) -> int:
        row = {
            "application_id": app_id,
            "external_id": f"ext-{sku}",
            "sku": sku,
            "name": kw.pop("name", sku),
            "seats_purchased": seats_purchased,
            "seats_consumed": seats_consumed,
            "list_price": list_price,
            "list_currency": list_currency,
            "catalog_capabilities": capabilities,
            "is_free": is_free,
            **kw,
        }
        return self._add("products", "product_id", row)

    def person(self, email: str, *, idp_status: str | None = "active", **kw: Any) -> int:
        row = {
            "email": email,
            "display_name": email.split("@")[0],
            "department": "Sales",
            "cost_centre": "CC1",
            "idp_status": idp_status,
            **kw,
        }
        return self._add("persons", "person_id", row)

    def account(
        self,
        email: str,
        *,
        person_id: int | None = None,
        status: str = "active",
        is_guest: bool = False,
        last_active_at: datetime | None = None,
        created_at: datetime | None = None,
        first_seen_at: datetime | None = None,
        activity_known: bool = True,
        **kw: Any,
    ) -> int:
        if person_id is None and kw.pop("with_person", True):
            existing = [p for p in self.rows["persons"] if p["email"] == email]
            person_id = existing[0]["person_id"] if existing else self.person(email)
        row = {
            "connector_id": 1,
            "connector_kind": "microsoft365",
            "person_id": person_id,
            "email": email,
            "status": status,
            "is_guest": is_guest,
            "created_at": created_at if created_at is not None else days_ago(400),
            "first_seen_at": first_seen_at if first_seen_at is not None else days_ago(400),
            "last_active_at": last_active_at,
            "activity_known": activity_known,
            "removed": kw.pop("removed", False),
            **kw,
        }
        return self._add("accounts", "account_id", row)

    def assign(self, account_id: int, product_id: int) -> None:
        self.rows["assignments"].append(
            {"account_id": account_id, "product_id": product_id, "assigned_at": days_ago(300)}
        )

    def contract(
        self,
        *,
        application_id: int | None,
        product_id: int | None = None,
        number: str | None = None,
        start: date | None = date(2026, 1, 1),
        end: date | None = date(2026, 12, 31),
        renewal: date | None = None,
        auto_renew: bool = False,
        notice_days: int | None = None,
        billing_cycle: str | None = "annual",
        seats: int | None = None,
        unit_price: Any = None,
        total_cost: Any = None,
        currency: str | None = "USD",
        is_trial: bool = False,
        **kw: Any,
    ) -> int:
        sub_id = len(self.rows["subscriptions"]) + 1
        row = {
            "subscription_id": sub_id,
            "contract_number": number or f"C-{sub_id:03d}",
            "vendor": "Vendor",
            "application_id": application_id,
            "product_id": product_id,
            "product_ref": None,
            "start_date": start,
            "end_date": end,
            "renewal_date": renewal,
            "auto_renew": auto_renew,
            "notice_days": notice_days,
            "billing_cycle": billing_cycle,
            "seats": seats,
            "unit_price": Decimal(str(unit_price)) if unit_price is not None else None,
            "total_cost": Decimal(str(total_cost)) if total_cost is not None else None,
            "currency": currency,
            "is_trial": is_trial,
            "owner_email": "owner@example.com",
            **kw,
        }
        return self._add("subscriptions", "subscription_id", row)

    def frame(self, name: str) -> pd.DataFrame:
        from analytics.frames import SCHEMAS, empty_frame

        rows = self.rows[name]
        if not rows:
            return empty_frame(name)
        return pd.DataFrame(rows, columns=list(SCHEMAS[name]))

    def frames(self) -> Frames:
        return Frames(**{name: self.frame(name) for name in self.rows})
