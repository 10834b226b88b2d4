"""The demo's contracts plant every contract finding kind relative to the demo's today."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.inventory.demo import import_demo_contracts
from app.inventory.models import Product, Subscription
from app.inventory.service import resolve_application
from app.people.models import Person
from app.spend.models import Invoice
from tests.conftest import Database

TODAY = date(2026, 11, 25)


@dataclass
class _Context:
    engine: Engine
    directory: Path
    today: date
    said: list[str] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)

    def say(self, message: str) -> None:
        self.said.append(message)


def _seed(engine: Engine) -> None:
    with Session(engine) as s:
        for app_name, sku, external_id, purchased, consumed in [
            ("Microsoft 365", "SPE_E3", "05e9a617", 120, 100),
            ("Microsoft 365", "SPE_E5", "06ebc4ee", 20, 18),
            ("Microsoft 365", "ENTERPRISEPACK", "6fd2c87f", 40, 35),
            ("Microsoft 365", "POWER_BI_PRO", "f8a1db68", None, 30),
            ("Google Workspace", "1010020028", "Google-Apps/1010020028", None, 60),
            ("Slack", None, "T0DEMO1234", None, 150),
        ]:
            application = resolve_application(session=s, name=app_name)
            assert application.id is not None
            s.add(
                Product(
                    application_id=application.id,
                    external_id=external_id,
                    sku=sku,
                    name=f"{app_name} {sku}",
                    seats_purchased=purchased,
                    seats_consumed=consumed,
                )
            )
        for i, dept in enumerate(
            ["IT", "Finance", "Operations", "Engineering", "Product", "Sales"]
        ):
            s.add(Person(email=f"person{i}@contoso.example", department=dept))
        s.commit()


def test_demo_contracts_plant_every_contract_finding_kind(
    committed_db: Database, tmp_path: Path
) -> None:
    _seed(committed_db.engine)
    ctx = _Context(committed_db.engine, tmp_path, TODAY)
    import_demo_contracts(ctx)
    assert (tmp_path / "contracts.csv").exists() and (tmp_path / "invoices.csv").exists()
    with Session(committed_db.engine) as s:
        subs = {c.contract_number: c for c in s.exec(select(Subscription))}
        invoices = s.exec(select(Invoice)).all()
        owners = {p.email for p in s.exec(select(Person))}

    def days(d: date | None) -> int:
        assert d is not None
        return (d - TODAY).days

    def deadline(c: Subscription) -> int:
        return days(c.renewal_date) - c.notice_days

    assert len(subs) == 9 and len(invoices) == 10
    assert all(c.owner_email in owners for c in subs.values())
    renewal_due = [c for c in subs.values() if not c.is_trial and 0 <= days(c.renewal_date) <= 90]
    notice = [c for c in subs.values() if c.auto_renew and 0 <= deadline(c) <= 60]
    missed = [c for c in subs.values() if c.auto_renew and deadline(c) < 0 <= days(c.renewal_date)]
    trials = [c for c in subs.values() if c.is_trial and 0 <= days(c.end_date) <= 14]
    assert renewal_due and notice and missed and trials
    assert any(deadline(c) <= 7 for c in notice)
    o365 = [c for c in subs.values() if c.product_ref == "ENTERPRISEPACK"]
    assert len(o365) == 2 and o365[0].product_id == o365[1].product_id is not None
    assert all(c.start_date <= TODAY <= (c.end_date or TODAY) for c in o365)
    assert any(c.currency == "USD" for c in subs.values())
    assert any(c.unit_price is None and c.total_cost for c in subs.values())
    slack = subs["SLK-2026"]
    assert slack.product_ref == "T0DEMO1234" and slack.product_id is not None
    assert slack.seats == 150 + 15
    assert subs["MS-EA-2025-E3"].renewal_date == TODAY + timedelta(days=65)
