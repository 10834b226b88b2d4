"""Rows for alert tests: a vendor, an app, a product, a contract, people with seats."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from email.message import EmailMessage
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.auth import service as auth_service
from app.core.settings import Settings
from app.findings.models import Finding
from app.inventory.models import Application, Product, Subscription, Vendor
from app.notify.models import Notification
from app.people.models import Account, Assignment, Person
from app.sync.models import ConnectorConfig

PROCUREMENT = "buyers@example.com"


def settings_for(port: int, **overrides: Any) -> Settings:
    """Test settings sending to the SMTP server on ``port``."""
    values: dict[str, Any] = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_timeout": 5.0,
        "mail_from": "seatwise@example.com",
        "procurement_emails": [PROCUREMENT],
        "secret_key": "k" * 40,
        "environment": "test",
        "base_url": "https://seatwise.example.com",
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class Seeded:
    """Ids of the seeded rows."""

    subscription_id: int
    product_id: int
    application_id: int
    vendor_id: int


@contextmanager
def opened(engine: Engine) -> Iterator[Session]:
    """A committed session."""
    with Session(engine, expire_on_commit=False) as session:
        yield session
        session.commit()


def seed_contract(
    engine: Engine,
    *,
    contract_number: str = "C-100",
    renewal_date: date = date(2027, 3, 1),
    auto_renew: bool = False,
    notice_days: int = 0,
    seats: int = 10,
    unit_price: Decimal | None = Decimal("120.00"),
    total_cost: Decimal | None = None,
    billing_cycle: str = "annual",
    owner_email: str | None = "owner@example.com",
    is_trial: bool = False,
    end_date: date | None = None,
    app_name: str = "Figma",
    vendor_name: str = "Figma Inc",
) -> Seeded:
    """One vendor, application, product and contract."""
    with opened(engine) as s:
        vendor = s.exec(select(Vendor).where(Vendor.name == vendor_name)).first()
        if vendor is None:
            vendor = Vendor(name=vendor_name)
            s.add(vendor)
            s.flush()
        application = s.exec(select(Application).where(Application.name == app_name)).first()
        if application is None:
            application = Application(name=app_name, vendor_id=vendor.id)
            s.add(application)
            s.flush()
        assert application.id is not None and vendor.id is not None
        product = Product(
            application_id=application.id,
            external_id=f"{app_name}-{contract_number}",
            name=f"{app_name} Professional",
        )
        s.add(product)
        s.flush()
        assert product.id is not None
        sub = Subscription(
            vendor_id=vendor.id,
            application_id=application.id,
            product_id=product.id,
            contract_number=contract_number,
            start_date=date(2026, 3, 1),
            end_date=end_date,
            renewal_date=renewal_date,
            auto_renew=auto_renew,
            notice_days=notice_days,
            billing_cycle=billing_cycle,
            seats=seats,
            unit_price=unit_price,
            total_cost=total_cost,
            currency="EUR",
            owner_email=owner_email,
            is_trial=is_trial,
        )
        s.add(sub)
        s.flush()
        assert sub.id is not None
        return Seeded(sub.id, product.id, application.id, vendor.id)


def seed_seats(
    engine: Engine, *, product_id: int, as_of: date, active: int, idle: int, prefix: str = "u",
    unknown: int = 0,
) -> None:  # fmt: skip
    """``active`` seats used within 30 days of ``as_of``, ``idle`` seats unused for 60, and
    ``unknown`` seats whose source reports no activity (a tenant without Entra ID P1)."""
    with opened(engine) as s:
        connector = s.exec(select(ConnectorConfig).where(ConnectorConfig.name == "src")).first()
        if connector is None:
            connector = ConnectorConfig(kind="spreadsheet", name="src")
            s.add(connector)
            s.flush()
        assert connector.id is not None
        recent = datetime.combine(as_of - timedelta(days=3), time(12), tzinfo=UTC)
        old = datetime.combine(as_of - timedelta(days=60), time(12), tzinfo=UTC)
        for i in range(active + idle + unknown):
            account = Account(
                connector_id=connector.id,
                external_id=f"{prefix}{product_id}-{i}",
                email=f"{prefix}{i}@example.com",
                last_active_at=recent if i < active else old if i < active + idle else None,
                activity_known=i < active + idle,
            )
            s.add(account)
            s.flush()
            assert account.id is not None
            s.add(Assignment(account_id=account.id, product_id=product_id))


def seed_person(engine: Engine, email: str, status: str = "active") -> None:
    """A person (``leaver`` when their identity-provider account is suspended)."""
    with opened(engine) as s:
        s.add(Person(email=email, status=status))


def seed_finding(
    engine: Engine, *, application_id: int, key: str, savings: Decimal | None,
    status: str = "open", product_id: int | None = None, kind: str = "unused_seat",
    currency: str = "EUR",
) -> None:  # fmt: skip
    """An open finding on an application (and a product, when given)."""
    with opened(engine) as s:
        s.add(
            Finding(
                key=key,
                kind=kind,
                application_id=application_id,
                product_id=product_id,
                subject=f"seat {key}",
                monthly_savings=savings,
                currency=currency,
                status=status,
            )
        )


def seed_user(engine: Engine, email: str, role: str) -> None:
    """A Seatwise user with a role."""
    with opened(engine) as s:
        auth_service.create_user(session=s, email=email, role=role, password="password-123")


def outbox(engine: Engine) -> list[Notification]:
    """Every outbox row, oldest first."""
    with Session(engine) as s:
        return list(s.exec(select(Notification).order_by(col(Notification.id))))


def part(message: EmailMessage, subtype: str = "plain") -> str:
    """The text of a message's ``plain`` or ``html`` body."""
    body = message.get_body(preferencelist=(subtype,))
    assert body is not None, f"no {subtype} part"
    return str(body.get_content())


class HeldLock:
    """A leader lock this process always holds (one scheduler, no election)."""

    def try_acquire(self) -> bool:
        return True

    def still_held(self) -> bool:
        return True

    def release(self) -> None:
        pass
