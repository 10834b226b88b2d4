"""Renewal tasks: states from the CLI and the API, escalation when undecided at 14 days."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urljoin

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.auth import service as auth_service
from app.auth.models import User
from app.core.settings import Settings
from app.main import create_app
from app.notify.dispatch import run_alerts
from app.renewals.service import RenewalInputError, set_state
from tests.conftest import Database
from tests.login_cookie import COOKIE, login_cookie
from tests.notify.seed import (
    PROCUREMENT,
    outbox,
    part,
    seed_contract,
    seed_seats,
    seed_user,
    settings_for,
)
from tests.smtp_server import Mailbox, smtp_server

RENEWAL = date(2027, 3, 1)
DEADLINE = RENEWAL - timedelta(days=30)


@pytest.fixture
def smtp() -> Iterator[tuple[int, Mailbox]]:
    with smtp_server() as server:
        yield server


def _escalations(db: Database) -> list[str]:
    return [row.recipient for row in outbox(db.engine) if row.kind == "escalation"]


def test_undecided_renewal_escalates_to_procurement_once_14_days_before_notice_deadline(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, mailbox = smtp
    seed_contract(committed_db.engine, renewal_date=RENEWAL, auto_renew=True, notice_days=30)
    settings = settings_for(port, procurement_emails=[PROCUREMENT, "cpo@example.com"])
    for days in (16, 15):
        run_alerts(engine=committed_db.engine, settings=settings, as_of=DEADLINE - timedelta(days))
    assert _escalations(committed_db) == []
    for days in (14, 13, 5, 0):
        run_alerts(engine=committed_db.engine, settings=settings, as_of=DEADLINE - timedelta(days))
    assert sorted(_escalations(committed_db)) == ["buyers@example.com", "cpo@example.com"]
    [message] = [m for m in mailbox.to(PROCUREMENT) if "Decision needed" in str(m["Subject"])]
    text = part(message)
    assert "notice deadline is 2027-01-30" in text and "Negotiation state: open" in text


def test_with_no_procurement_list_the_escalation_goes_to_procurement_users_not_nowhere(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, mailbox = smtp
    seed_contract(committed_db.engine, renewal_date=RENEWAL, auto_renew=True, notice_days=30)
    seed_user(committed_db.engine, "boss@example.com", "admin")
    seed_user(committed_db.engine, "buyer@example.com", "procurement")
    settings = settings_for(port, procurement_emails=[])
    run_alerts(engine=committed_db.engine, settings=settings, as_of=DEADLINE - timedelta(10))
    assert _escalations(committed_db) == ["buyer@example.com"]
    assert any("Decision needed" in str(m["Subject"]) for m in mailbox.to("buyer@example.com"))


def test_with_no_procurement_list_nor_users_the_escalation_goes_to_the_admins(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, _ = smtp
    seed_contract(committed_db.engine, renewal_date=RENEWAL, auto_renew=True, notice_days=30)
    seed_user(committed_db.engine, "boss@example.com", "admin")
    settings = settings_for(port, procurement_emails=[])
    run_alerts(engine=committed_db.engine, settings=settings, as_of=DEADLINE - timedelta(10))
    assert _escalations(committed_db) == ["boss@example.com"]


def test_no_escalation_once_a_decision_is_recorded(
    committed_db: Database, smtp: tuple[int, Mailbox], cli: Any
) -> None:
    port, _ = smtp
    seed_contract(committed_db.engine, renewal_date=RENEWAL, auto_renew=True, notice_days=30)
    result = cli("renewals", "set", "C-100", "--state", "decided", "--decision", "downsize")
    assert result.exit_code == 0, result.stderr
    assert "decided: downsize" in result.stdout
    run_alerts(
        engine=committed_db.engine, settings=settings_for(port), as_of=DEADLINE - timedelta(10)
    )
    assert _escalations(committed_db) == []


def test_cli_sets_state_and_lists_renewals(committed_db: Database, cli: Any) -> None:
    seed_contract(committed_db.engine, renewal_date=date(2027, 3, 1))
    result = cli("renewals", "set", "C-100", "--state", "negotiating", "--owner", "Neg@Example.com")
    assert result.exit_code == 0, result.stderr
    listed = cli("renewals", "list", "--json")
    assert listed.exit_code == 0, listed.stderr
    [row] = json.loads(listed.stdout)
    assert row["contract_number"] == "C-100" and row["state"] == "negotiating"
    assert row["owner_email"] == "neg@example.com" and row["decision"] is None
    assert row["renewal_date"] == "2027-03-01" and row["notice_deadline"] == "2027-03-01"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--state", "closed"], "unknown state 'closed'"),
        (["--state", "decided"], "needs --decision"),
        (["--state", "decided", "--decision", "maybe"], "unknown decision 'maybe'"),
        (["--state", "open", "--decision", "renew"], "--decision needs --state decided"),
        ([], "nothing to change"),
    ],
)
def test_cli_refuses_bad_state_with_usage_error(
    committed_db: Database, cli: Any, args: list[str], message: str
) -> None:
    seed_contract(committed_db.engine, renewal_date=date(2027, 3, 1))
    result = cli("renewals", "set", "C-100", *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_cli_unknown_contract_is_an_operational_error(committed_db: Database, cli: Any) -> None:
    result = cli("renewals", "set", "NOPE", "--state", "open")
    assert result.exit_code == 1 and "no contract 'NOPE'" in result.stderr


@pytest.fixture
def client(committed_db: Database) -> Iterator[TestClient]:
    settings = Settings(database_url=committed_db.url, secret_key="k" * 40, environment="test")
    with Session(committed_db.engine) as s:
        for email, role in [
            ("buyer@example.com", "procurement"),
            ("viewer@example.com", "viewer"),
            ("admin@example.com", "admin"),
        ]:
            auth_service.create_user(session=s, email=email, role=role, password="password-123")
        s.commit()
    with TestClient(create_app(settings, committed_db.engine)) as c:
        yield c


def _token(db: Database, email: str) -> dict[str, str]:
    with Session(db.engine) as s:
        token = auth_service.create_token(session=s, email=email, name="t")
        s.commit()
    return {"Authorization": f"Bearer {token}"}


def test_api_lists_and_patches_renewal_state(committed_db: Database, client: TestClient) -> None:
    seed_contract(committed_db.engine, renewal_date=date(2027, 3, 1))
    headers = _token(committed_db, "buyer@example.com")
    page = client.get("/api/v1/renewals", headers=headers).json()
    assert page["total"] == 1 and page["items"][0]["state"] == "open"
    response = client.patch(
        "/api/v1/renewals/C-100",
        json={"state": "decided", "decision": "cancel"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["decision"] == "cancel"
    bad = client.patch("/api/v1/renewals/C-100", json={"state": "closed"}, headers=headers)
    assert bad.status_code == 422
    reopened = client.patch("/api/v1/renewals/C-100", json={"state": "open"}, headers=headers)
    assert reopened.json()["decision"] is None
    missing = client.patch("/api/v1/renewals/C-100", json={"state": "decided"}, headers=headers)
    assert missing.status_code == 422
    assert "needs a decision" in missing.json()["detail"]
    nobody = client.patch("/api/v1/renewals/C-100", json={"owner_email": "nope"}, headers=headers)
    assert nobody.status_code == 422 and "is not an e-mail address" in nobody.json()["detail"]
    owner = client.patch(
        "/api/v1/renewals/C-100", json={"owner_email": "Ann@Example.com"}, headers=headers
    )
    assert owner.status_code == 200 and owner.json()["owner_email"] == "ann@example.com"


def test_api_refuses_viewers_and_outbox_is_admin_only(
    committed_db: Database, client: TestClient
) -> None:
    viewer = _token(committed_db, "viewer@example.com")
    assert client.get("/api/v1/renewals", headers=viewer).status_code == 403
    assert (
        client.get("/api/v1/outbox", headers=_token(committed_db, "buyer@example.com")).status_code
        == 403
    )
    page = client.get("/api/v1/outbox", headers=_token(committed_db, "admin@example.com")).json()
    assert page == {"items": [], "total": 0, "limit": 100, "offset": 0}


def test_a_blank_owner_clears_it_from_the_cli_and_the_api(
    committed_db: Database, client: TestClient, cli: Any
) -> None:
    seed_contract(committed_db.engine, renewal_date=date(2027, 3, 1))
    assert cli("renewals", "set", "C-100", "--owner", "").exit_code == 0
    [row] = json.loads(cli("renewals", "list", "--json").stdout)
    assert row["owner_email"] is None
    headers = _token(committed_db, "buyer@example.com")
    set_ = client.patch(
        "/api/v1/renewals/C-100", json={"owner_email": "a@example.com"}, headers=headers
    )
    assert set_.json()["owner_email"] == "a@example.com"
    cleared = client.patch("/api/v1/renewals/C-100", json={"owner_email": ""}, headers=headers)
    assert cleared.status_code == 200 and cleared.json()["owner_email"] is None


def test_api_and_cli_give_each_renewal_its_figures_as_of_today(
    committed_db: Database, client: TestClient, cli: Any
) -> None:
    """The recommendation is today's, as on the page and in the e-mail, not the one
    stored when the renewal's task was opened."""
    today = datetime.now(UTC).date()
    seeded = seed_contract(committed_db.engine, renewal_date=today + timedelta(days=60))
    headers = _token(committed_db, "buyer@example.com")
    before = client.get("/api/v1/renewals", headers=headers).json()["items"][0]
    assert (before["seats_assigned"], before["recommended_seats"]) == (0, 0)
    seed_seats(committed_db.engine, product_id=seeded.product_id, as_of=today, active=4, idle=3)
    [after] = client.get("/api/v1/renewals", headers=headers).json()["items"]
    assert {k: after[k] for k in FIGURES} == {
        "seats_bought": 10, "seats_assigned": 7, "seats_active": 4, "recommended_seats": 5,
        "annual_cost": "1200.00", "cost_per_active_user": "300.00", "currency": "EUR",
    }  # fmt: skip
    listed = json.loads(cli("renewals", "list", "--json").stdout)
    assert [{k: r[k] for k in FIGURES} for r in listed] == [{k: after[k] for k in FIGURES}]
    line = cli("renewals", "list").stdout
    assert "seats 10 bought, 4 active, renew 5" in line


FIGURES = (
    "seats_bought", "seats_assigned", "seats_active", "recommended_seats", "annual_cost",
    "cost_per_active_user", "currency",
)  # fmt: skip


@pytest.mark.parametrize("told", [True, False], ids=["root_path", "prefix-stripped"])
def test_a_renewal_link_under_a_path_prefix_redirects_within_that_prefix(
    committed_db: Database, told: bool
) -> None:
    """SEATWISE_BASE_URL https://seatwise.example.com/app: the proxy either passes the
    prefix on as the ASGI root_path or strips it without saying."""
    seeded = seed_contract(committed_db.engine, renewal_date=date(2027, 3, 1))
    seed_user(committed_db.engine, "buyer@example.com", "procurement")
    settings = Settings(database_url=committed_db.url, secret_key="k" * 40, environment="test")
    with Session(committed_db.engine) as s:
        user = s.exec(select(User).where(User.email == "buyer@example.com")).one()
    assert user.id is not None
    outside = "https://seatwise.example.com/app"
    app = create_app(settings, committed_db.engine)
    client_args = {"base_url": outside, "root_path": "/app"} if told else {}
    with TestClient(app, **client_args) as client:  # type: ignore[arg-type]
        client.cookies.set(COOKIE, login_cookie(committed_db.engine, user.id, "k" * 40, 3600))
        response = client.get(f"/renewals/{seeded.subscription_id}", follow_redirects=False)
        assert response.status_code == 303
        location = response.headers["location"]
        browser_at = f"{outside}/renewals/{seeded.subscription_id}"  # the e-mail's link
        assert urljoin(browser_at, location) == (
            f"{outside}/renewals?month=2027-03#renewal-{seeded.subscription_id}"
        )
        page = client.get(urljoin(str(response.request.url), location))
        assert page.status_code == 200 and "C-100" in page.text


def test_renewal_notes_are_bounded_like_a_contracts(
    committed_db: Database, client: TestClient
) -> None:
    # Each listing of renewals (up to 500 a page) carries every renewal's notes whole.
    seed_contract(committed_db.engine, renewal_date=date(2027, 3, 1))
    headers = _token(committed_db, "buyer@example.com")
    kept = client.patch("/api/v1/renewals/C-100", json={"notes": "n" * 10_000}, headers=headers)
    assert kept.status_code == 200 and len(kept.json()["notes"]) == 10_000
    long = client.patch("/api/v1/renewals/C-100", json={"notes": "n" * 10_001}, headers=headers)
    assert long.status_code == 422 and "notes" in long.text
    refusal = pytest.raises(RenewalInputError, match="keep them to 10,000")
    with Session(committed_db.engine) as s, refusal as refused:
        set_state(
            session=s,
            contract_number="C-100",
            as_of=date(2027, 1, 1),
            actor="cli",
            notes="n" * 10_001,
        )
    assert refused.value.field == "notes"
