"""A small inventory for page tests: apps, SKUs, people, seats, contracts, findings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.findings.models import Finding
from app.inventory.models import Application, Product, Subscription, Vendor
from app.people.models import Account, Assignment, Person
from app.sync.models import ConnectorConfig, SyncRun

TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def seed_inventory(engine: Engine) -> dict[str, int]:
    """Two apps with seats, one leaver, contracts renewing soon, and open findings."""
    with Session(engine, expire_on_commit=False) as s:
        vendor = Vendor(name="Slack Technologies")
        other = Vendor(name="Zoom")
        s.add_all([vendor, other])
        s.flush()
        slack = Application(
            name="Slack", vendor_id=vendor.id, category="Collaboration", owner_email="it@x.test"
        )
        zoom = Application(name="Zoom", vendor_id=other.id, category="Video")
        s.add_all([slack, zoom])
        s.flush()
        conn = ConnectorConfig(kind="slack", name="slack-main", config={"api_url": "https://x"})
        s.add(conn)
        s.flush()
        s.add(
            SyncRun(
                connector_id=conn.id,
                status="succeeded",
                started_at=NOW,
                finished_at=NOW,
                counts={"accounts": 3},
                warnings=["2 accounts have no e-mail; they cannot be matched to people"],
            )
        )
        product = Product(
            application_id=slack.id,
            connector_id=conn.id,
            external_id="pro",
            name="Slack Pro",
            seats_purchased=5,
        )
        s.add(product)
        s.flush()
        people = []
        for i, (status, active) in enumerate([("active", 2), ("active", None), ("leaver", 200)]):
            person = Person(email=f"p{i}@x.test", display_name=f"Person {i}", status=status)
            s.add(person)
            s.flush()
            account = Account(
                connector_id=conn.id,
                external_id=f"U{i}",
                person_id=person.id,
                email=person.email,
                display_name=person.display_name,
                is_guest=i == 1,
                last_active_at=None if active is None else NOW - timedelta(days=active),
            )
            s.add(account)
            s.flush()
            s.add(Assignment(account_id=account.id, product_id=product.id, assigned_at=NOW))
            people.append(person)
        s.add(
            Subscription(
                vendor_id=vendor.id,
                application_id=slack.id,
                product_id=product.id,
                contract_number="SL-2026",
                start_date=date(2026, 1, 1),
                end_date=date(2026, 12, 31),
                renewal_date=date(2027, 1, 1),
                notice_days=30,
                billing_cycle="annual",
                seats=5,
                unit_price=Decimal("96.00"),
                currency="EUR",
                owner_email="it@x.test",
                auto_renew=True,
            )
        )
        for key, kind, subject, savings in [
            ("unused_seat:U1:pro", "unused_seat", "p1@x.test", "8.00"),
            ("leaver_seat:U2:pro", "leaver_seat", "p2@x.test", "8.00"),
        ]:
            s.add(
                Finding(
                    key=key,
                    kind=kind,
                    severity="high",
                    application_id=slack.id,
                    product_id=product.id,
                    subject=subject,
                    monthly_savings=Decimal(savings),
                    currency="EUR",
                    evidence={"account": subject},
                )
            )
        s.commit()
        return {
            "slack": int(slack.id or 0),
            "zoom": int(zoom.id or 0),
            "person": int(people[2].id or 0),
        }
