"""Row factories for findings tests: ``create_x(session, **overrides)`` adds and flushes one row."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import Any

from sqlmodel import Session, select

from app.findings.models import Finding
from app.inventory.models import Application, Product, Subscription, Vendor
from app.people.models import Account, Assignment, Person
from app.sync.models import ConnectorConfig

TODAY = date(2026, 11, 25)
_ids = count(1)


def days_ago(days: int) -> datetime:
    """A UTC timestamp ``days`` calendar days before TODAY (mid-afternoon)."""
    return datetime(TODAY.year, TODAY.month, TODAY.day, 15, 30, tzinfo=UTC) - timedelta(days=days)


def in_days(days: int) -> date:
    """The date ``days`` days after TODAY."""
    return TODAY + timedelta(days=days)


def _add(session: Session, row: Any) -> Any:
    session.add(row)
    session.flush()
    return row


def create_connector(session: Session, **overrides: Any) -> ConnectorConfig:
    n = next(_ids)
    values: dict[str, Any] = {"kind": "microsoft365", "name": f"conn-{n}", "config": {}}
    values.update(overrides)
    return _add(session, ConnectorConfig(**values))


def create_vendor(session: Session, **overrides: Any) -> Vendor:
    values: dict[str, Any] = {"name": f"Vendor {next(_ids)}"}
    values.update(overrides)
    return _add(session, Vendor(**values))


def create_application(session: Session, **overrides: Any) -> Application:
    values: dict[str, Any] = {"name": f"App {next(_ids)}"}
    values.update(overrides)
    if "vendor_id" not in values:
        values["vendor_id"] = create_vendor(session, name=f"{values['name']} Inc").id
    return _add(session, Application(**values))


def create_product(session: Session, **overrides: Any) -> Product:
    n = next(_ids)
    values: dict[str, Any] = {"external_id": f"sku-{n}", "name": f"Product {n}"}
    values.update(overrides)
    if "application_id" not in values:
        values["application_id"] = create_application(session).id
    return _add(session, Product(**values))


def create_person(session: Session, **overrides: Any) -> Person:
    values: dict[str, Any] = {"email": f"person{next(_ids)}@example.com"}
    values.update(overrides)
    return _add(session, Person(**values))


def create_account(session: Session, **overrides: Any) -> Account:
    """An active account; ``person`` (a Person) links it, created from the e-mail if True."""
    n = next(_ids)
    person = overrides.pop("person", None)
    values: dict[str, Any] = {
        "external_id": f"acc-{n}",
        "email": f"user{n}@example.com",
        "status": "active",
        "vendor_created_at": days_ago(400),
        "first_seen_at": days_ago(300),
        "last_active_at": days_ago(1),
    }
    values.update(overrides)
    if person is True:
        person = create_person(session, email=values["email"])
    if person is not None:
        values["person_id"] = person.id
    if "connector_id" not in values:
        values["connector_id"] = create_connector(session).id
    return _add(session, Account(**values))


def create_assignment(
    session: Session, account: Account, product: Product, **overrides: Any
) -> Assignment:
    values: dict[str, Any] = {
        "account_id": account.id,
        "product_id": product.id,
        "assigned_at": days_ago(200),
    }
    values.update(overrides)
    return _add(session, Assignment(**values))


def create_subscription(session: Session, **overrides: Any) -> Subscription:
    """An annual contract running from 200 days ago to well past the horizons."""
    n = next(_ids)
    values: dict[str, Any] = {
        "contract_number": f"C-{n}",
        "start_date": TODAY - timedelta(days=200),
        "end_date": TODAY + timedelta(days=165),
        "renewal_date": TODAY + timedelta(days=166),
        "billing_cycle": "annual",
        "currency": "EUR",
        "unit_price": Decimal("120"),
    }
    values.update(overrides)
    if "application_id" not in values:
        values["application_id"] = create_application(session).id
    if "vendor_id" not in values:
        values["vendor_id"] = create_vendor(session).id
    return _add(session, Subscription(**values))


def stored_finding(session: Session, key: str) -> Finding:
    """The finding stored under ``key``, as the database has it now (refreshed)."""
    row = session.exec(select(Finding).where(Finding.key == key)).one()
    session.refresh(row)
    return row


def planted_key(keys: list[str], prefix: str) -> str:
    """The first of ``keys`` (a run's finding keys) of the kind ``prefix`` names."""
    return next(k for k in keys if k.startswith(prefix))
