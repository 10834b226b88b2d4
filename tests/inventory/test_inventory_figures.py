"""The figures of ``seatwise inventory products|accounts --json``, to the boundary.

``seats_active`` counts current assignees whose account was active within
``--active-days`` (default 30) of the moment asked: an account last active exactly that
long ago counts, one a microsecond longer does not. Removed seats, accounts and products
(what the last sync no longer reported) are in no figure and no listing. The acceptance
tests check these through a Graph server with activity days apart, which leaves the
exact cut-off (``>=`` against ``>``, a day more or less, midnight instead of the moment)
and the removed rows that a sync never produces unpinned.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session

from app.core.db import utcnow
from app.inventory.models import Application, Product
from app.inventory.service import inventory_accounts, inventory_products
from app.people.models import Account, Assignment
from app.sync.models import ConnectorConfig
from tests.inventory_keys import ACCOUNT_KEYS, PRODUCT_KEYS

NOW = datetime(2026, 11, 25, 9, 30, 15, 250000, tzinfo=UTC)
US = timedelta(microseconds=1)


class Tenant:
    """One Microsoft 365 connector's products, accounts and seats, written as rows."""

    def __init__(self, session: Session, name: str = "m365") -> None:
        self.session = session
        app = Application(name=f"Microsoft 365 ({name})")
        self.connector = ConnectorConfig(kind="microsoft365", name=name)
        session.add_all([app, self.connector])
        session.flush()
        self.app_id = int(app.id or 0)
        self.products: dict[str, Product] = {}

    def product(self, external_id: str, sku: str, **values: Any) -> Product:
        product = Product(
            application_id=self.app_id, connector_id=self.connector.id,
            external_id=external_id, sku=sku, name=sku.title(), **values,
        )  # fmt: skip
        self.session.add(product)
        self.session.flush()
        self.products[external_id] = product
        return product

    def account(
        self, external_id: str, last: datetime | None, *skus: str, gone: tuple[str, ...] = (),
        **values: Any,
    ) -> Account:  # fmt: skip
        """An account holding ``skus``; the seats in ``gone`` are marked removed."""
        values.setdefault("email", f"{external_id}@example.com")
        account = Account(
            connector_id=int(self.connector.id or 0),
            external_id=external_id,
            last_active_at=last,
            **values,
        )
        self.session.add(account)
        self.session.flush()
        for sku in skus + gone:
            self.session.add(
                Assignment(
                    account_id=int(account.id or 0), product_id=int(self.products[sku].id or 0),
                    removed_at=NOW - timedelta(days=3) if sku in gone else None,
                )
            )  # fmt: skip
        self.session.flush()
        return account


def _products(session: Session, active_days: int = 30, now: datetime = NOW) -> dict[str, Any]:
    items, _ = inventory_products(
        session=session, today=now.date(), now=now, active_days=active_days
    )
    return {p["external_id"]: p for p in items}


def _figures(
    session: Session, active_days: int = 30, now: datetime = NOW
) -> dict[str, tuple[int, int]]:
    return {
        pid: (p["seats_assigned"], p["seats_active"])
        for pid, p in _products(session, active_days, now).items()
    }


def test_active_means_active_at_or_after_the_moment_active_days_before_now(
    session: Session,
) -> None:
    t = Tenant(session)
    t.product("e3", "ENTERPRISEPACK", seats_purchased=20, seats_consumed=9)
    edge = NOW - timedelta(days=30)
    t.account("exactly-30-days", edge, "e3")  # counts: within 30 days
    t.account("a-microsecond-more", edge - US, "e3")  # does not
    t.account("a-microsecond-less", edge + US, "e3")  # counts
    t.account("earlier-today", NOW.replace(hour=0, minute=0, second=1), "e3")  # counts
    t.account("30-days-before-midnight", edge.replace(hour=0, minute=0, second=0), "e3")
    t.account("never", None, "e3")
    t.account("unknown", None, "e3", activity_known=False)
    # status and guest do not matter: a suspended account or a guest seen lately is active
    t.account("suspended-yesterday", NOW - timedelta(days=1), "e3", status="suspended")
    t.account("guest-yesterday", NOW - timedelta(days=1), "e3", is_guest=True)
    assert _figures(session) == {"e3": (9, 5)}
    # From midnight of the day instead of the moment, the 09:30 cut-off moves back and
    # the account last active at 30 days before midnight would count too.


@pytest.mark.parametrize(
    ("active_days", "active"), [(1, 1), (7, 2), (29, 2), (30, 3), (31, 4), (365, 5)]
)
def test_active_days_moves_the_cut_off_by_whole_days(
    session: Session, active_days: int, active: int
) -> None:
    t = Tenant(session)
    t.product("e3", "ENTERPRISEPACK")
    for days in (0.5, 6.9, 30, 30.5, 200):
        t.account(f"u{days}", NOW - timedelta(days=days), "e3")
    t.account("never", None, "e3")
    assert _figures(session, active_days) == {"e3": (6, active)}


def test_removed_seats_accounts_and_products_are_in_no_figure_or_listing(
    session: Session,
) -> None:
    t = Tenant(session)
    # pbi first: its row id sorts before e3's, its external id after
    t.product("pbi", "POWER_BI_STANDARD", seats_purchased=1000000, seats_consumed=2)
    t.product("e3", "ENTERPRISEPACK", seats_purchased=12, seats_consumed=10)
    t.product("visio", "VISIOCLIENT", seats_purchased=5, seats_consumed=0, removed_at=NOW)
    recent = NOW - timedelta(days=1)
    t.account("ana", recent, "pbi", "e3")  # listed sorted, whatever the rows' order
    t.account("lea", recent, "pbi", gone=("e3",))  # her E3 licence was taken away
    t.account("gus", recent, gone=("visio",))
    # a user deleted at the vendor: the account and its seats are marked removed
    t.account("dan", recent, gone=("e3", "pbi"), removed_at=NOW - timedelta(days=3))
    products = _products(session)
    assert set(products) == {"e3", "pbi"}
    assert {pid: (p["seats_assigned"], p["seats_active"]) for pid, p in products.items()} == {
        "e3": (1, 1),
        "pbi": (2, 2),
    }
    assert (products["e3"]["seats_purchased"], products["e3"]["seats_consumed"]) == (12, 10)
    accounts, total = inventory_accounts(session=session)
    assert total == 3
    assert {a["external_id"]: a["products"] for a in accounts} == {
        "ana": ["e3", "pbi"],
        "lea": ["pbi"],
        "gus": [],
    }


def test_a_vendor_figure_of_seats_bought_is_never_replaced_by_a_contracts(
    session: Session,
) -> None:
    from datetime import date
    from decimal import Decimal

    from app.inventory.models import Subscription, Vendor

    t = Tenant(session)
    e3 = t.product("e3", "ENTERPRISEPACK", seats_purchased=12, seats_consumed=10)
    e5 = t.product("e5", "SPE_E5", seats_purchased=None, seats_consumed=0)
    vendor = Vendor(name="Microsoft")
    session.add(vendor)
    session.flush()
    for number, product in (("C-E3", e3), ("C-E5", e5)):
        session.add(
            Subscription(
                vendor_id=int(vendor.id or 0), application_id=t.app_id, product_id=product.id,
                contract_number=number, start_date=date(2026, 1, 1), end_date=date(2026, 12, 31),
                billing_cycle="annual", seats=50, total_cost=Decimal(1000), currency="EUR",
            )
        )  # fmt: skip
    session.flush()
    products = _products(session)
    assert products["e3"]["seats_purchased"] == 12  # prepaidUnits.enabled, as synced
    assert products["e5"]["seats_purchased"] == 50  # none from the vendor: the contract's


# --------------------------------------------------------------------------- the CLI


def _cli_json(cli: Any, *args: str) -> Any:
    result = cli(*args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_cli_json_has_the_issues_keys_utc_times_and_active_days_counted_from_now(
    cli: Any, committed_db: Any
) -> None:
    now = utcnow()
    with Session(committed_db.engine) as session:
        t = Tenant(session)
        t.product("e3", "ENTERPRISEPACK", seats_purchased=12, seats_consumed=10)
        hours = timedelta(hours=3)  # far enough from the cut-off for the seconds the CLI takes
        inside, outside = now - timedelta(days=30) + hours, now - timedelta(days=30) - hours
        t.account("in", inside, "e3", display_name="In Side", is_guest=True)
        t.account("out", outside, "e3", status="suspended")
        t.account("week", now - timedelta(days=6, hours=21), "e3")
        t.account("never", None)
        session.commit()

    products = _cli_json(cli, "inventory", "products")
    assert len(products) == 1 and set(products[0]) >= PRODUCT_KEYS
    e3 = products[0]
    assert (e3["connector"], e3["external_id"], e3["sku"]) == ("m365", "e3", "ENTERPRISEPACK")
    assert (e3["seats_purchased"], e3["seats_consumed"]) == (12, 10)
    assert (e3["seats_assigned"], e3["seats_active"]) == (3, 2)
    week = _cli_json(cli, "inventory", "products", "--active-days", "7")
    assert week[0]["seats_active"] == 1
    longer = _cli_json(cli, "inventory", "products", "--active-days", "31")
    assert longer[0]["seats_active"] == 3

    accounts = {a["external_id"]: a for a in _cli_json(cli, "inventory", "accounts")}
    assert set(accounts) == {"in", "out", "week", "never"}
    assert all(set(a) >= ACCOUNT_KEYS for a in accounts.values())
    shown = accounts["in"]
    assert (shown["connector"], shown["email"], shown["display_name"]) == (
        "m365", "in@example.com", "In Side",
    )  # fmt: skip
    assert (shown["status"], shown["is_guest"], shown["products"]) == ("active", True, ["e3"])
    assert accounts["out"]["status"] == "suspended" and accounts["out"]["is_guest"] is False
    assert accounts["never"]["last_active_at"] is None and accounts["never"]["products"] == []
    stamp = datetime.fromisoformat(shown["last_active_at"])
    assert stamp.utcoffset() == timedelta(0) and stamp == inside
