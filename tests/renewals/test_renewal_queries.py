"""The renewals page and API read every contract's figures in a bounded number of queries."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.auth import service as auth_service
from app.core.settings import Settings
from app.inventory.models import Subscription
from app.main import create_app
from app.notify.figures import contract_figures, contract_figures_many
from tests.conftest import Database
from tests.login_cookie import COOKIE, login_cookie
from tests.notify.seed import opened, seed_contract, seed_seats
from tests.statements import counted

SECRET = "k" * 40


def _contracts(db: Database, first: int, count: int, today: date) -> None:
    """``count`` contracts, each of its own vendor and application, holding seats; every
    third shares its product with a second contract in USD (FX and group figures)."""
    for i in range(first, first + count):
        seeded = seed_contract(
            db.engine,
            contract_number=f"C-{i}",
            renewal_date=today + timedelta(days=30 + i),
            app_name=f"App {i}",
            vendor_name=f"Vendor {i}",
        )
        seed_seats(db.engine, product_id=seeded.product_id, as_of=today, active=2, idle=1,
                   prefix=f"c{i}-")  # fmt: skip
        if i % 3 == 0:
            with opened(db.engine) as s:
                s.add(
                    Subscription(
                        vendor_id=seeded.vendor_id, application_id=seeded.application_id,
                        product_id=seeded.product_id, contract_number=f"C-{i}-b",
                        start_date=date(2026, 1, 1), renewal_date=today + timedelta(days=200),
                        billing_cycle="monthly", seats=5, unit_price=10, currency="USD",
                    )
                )  # fmt: skip


def _statements(db: Database, client: TestClient, path: str, headers: dict[str, str]) -> int:
    client.get(path, headers=headers)  # the first request opens the renewals' tasks
    with counted(db.engine) as seen:
        response = client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return len(seen)


def test_renewals_page_and_api_send_as_many_statements_for_30_contracts_as_for_3(
    committed_db: Database,
) -> None:
    today = datetime.now(UTC).date()
    with Session(committed_db.engine) as s:
        user = auth_service.create_user(session=s, email="buyer@example.com", role="procurement",
                                        password="password-123")  # fmt: skip
        s.commit()
        user_id = int(user.id or 0)
        token = auth_service.create_token(session=s, email="buyer@example.com", name="t")
        s.commit()
    settings = Settings(database_url=committed_db.url, secret_key=SECRET, environment="test")
    bearer = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(settings, committed_db.engine)) as client:
        client.cookies.set(COOKIE, login_cookie(committed_db.engine, user_id, SECRET, 3600))
        _contracts(committed_db, 1, 3, today)
        few = {p: _statements(committed_db, client, p, h)
               for p, h in (("/renewals", {}), ("/api/v1/renewals", bearer))}  # fmt: skip
        _contracts(committed_db, 4, 27, today)
        many = {p: _statements(committed_db, client, p, h)
                for p, h in (("/renewals", {}), ("/api/v1/renewals", bearer))}  # fmt: skip
        assert len(client.get("/api/v1/renewals", headers=bearer).json()["items"]) == 40
    assert many == few


def test_figures_of_many_contracts_are_each_contracts_own_figures(
    committed_db: Database,
) -> None:
    today = datetime.now(UTC).date()
    _contracts(committed_db, 1, 6, today)
    # A contract naming no product counts the seats of every product of its application.
    seeded = seed_contract(committed_db.engine, contract_number="C-app", app_name="App 2",
                           vendor_name="Vendor 2")  # fmt: skip
    with opened(committed_db.engine) as s:
        sub = s.get(Subscription, seeded.subscription_id)
        assert sub is not None
        sub.product_id = None
        s.add(sub)
    with Session(committed_db.engine) as s:
        subs = list(s.exec(select(Subscription).order_by(Subscription.id)))  # type: ignore[arg-type]
        many = contract_figures_many(session=s, subscriptions=subs, as_of=today)
        one_by_one = {
            int(sub.id or 0): contract_figures(session=s, subscription=sub, as_of=today)
            for sub in subs
        }
    assert many == one_by_one
    assert any(f.shared_with for f in many.values())
    assert any(f.seats_assigned == 3 and f.has_usage for f in many.values())
