"""Trial alerts, free-seat alerts once per crossing, the weekly digest, the spend report."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from io import BytesIO
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session, select

from app.auth.models import User
from app.findings.models import Finding
from app.inventory.models import Product, Subscription
from app.main import create_app
from app.notify.dispatch import run_alerts, run_digest, run_spend_report
from app.notify.seat_alerts import set_threshold
from tests.conftest import Database
from tests.login_cookie import COOKIE, login_cookie
from tests.notify.seed import (
    PROCUREMENT,
    outbox,
    part,
    seed_contract,
    seed_person,
    seed_seats,
    seed_user,
    settings_for,
)
from tests.smtp_server import Mailbox, smtp_server

TRIAL_END = date(2026, 12, 20)


@pytest.fixture
def smtp() -> Iterator[tuple[int, Mailbox]]:
    with smtp_server() as server:
        yield server


def _kinds(db: Database, kind: str) -> list[str]:
    return [row.dedupe_key for row in outbox(db.engine) if row.kind == kind]


def test_trial_alerts_go_to_owner_14_and_3_days_before_end(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, mailbox = smtp
    seed_contract(
        committed_db.engine,
        contract_number="T-1",
        is_trial=True,
        end_date=TRIAL_END,
        renewal_date=TRIAL_END,
        owner_email="trialist@example.com",
    )
    settings = settings_for(port)
    fired: dict[int, int] = {}
    for days in (16, 15, 14, 13, 4, 3, 2, 0, -1):
        report = run_alerts(
            engine=committed_db.engine, settings=settings, as_of=TRIAL_END - timedelta(days)
        )
        trial = [x for x in report.planned if x.kind == "trial" and x.queued]
        if trial:
            fired[days] = len(trial)
    assert fired == {14: 1, 3: 1}
    assert [x.kind for x in (r for r in outbox(committed_db.engine))] == ["trial", "trial"]
    subjects = [str(m["Subject"]).strip() for m in mailbox.to("trialist@example.com")]
    assert subjects == [
        "Trial ends in 14 days: Figma on 2026-12-20",
        "Trial ends in 3 days: Figma on 2026-12-20",
    ]
    assert mailbox.to(PROCUREMENT) == []


def test_trial_alert_links_to_the_contracts_own_page(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, mailbox = smtp
    seeded = seed_contract(
        committed_db.engine, contract_number="T-9", is_trial=True, end_date=TRIAL_END,
        renewal_date=TRIAL_END, owner_email="trialist@example.com",
    )  # fmt: skip
    settings = settings_for(port)
    run_alerts(engine=committed_db.engine, settings=settings, as_of=TRIAL_END - timedelta(3))
    [message] = mailbox.to("trialist@example.com")
    link = f"https://seatwise.example.com/contracts/{seeded.subscription_id}"
    assert f"Contract page: {link}" in part(message)
    assert f'href="{link}"' in part(message, "html")
    # The page it names shows this trial (the renewals page lists no trials).
    seed_user(committed_db.engine, "trialist@example.com", "procurement")
    with Session(committed_db.engine) as s:
        user = s.exec(select(User).where(User.email == "trialist@example.com")).one()
    assert user.id is not None
    with TestClient(create_app(settings, committed_db.engine)) as client:
        cookie = login_cookie(committed_db.engine, user.id, settings.secret_key, 3600)
        client.cookies.set(COOKIE, cookie)
        page = client.get(urlsplit(link).path)
    assert page.status_code == 200 and "T-9" in page.text


def test_trial_alert_says_when_seats_have_no_activity_data(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, mailbox = smtp
    seeded = seed_contract(
        committed_db.engine, contract_number="T-2", is_trial=True, end_date=TRIAL_END,
        renewal_date=TRIAL_END, owner_email="trialist@example.com",
    )  # fmt: skip
    day = TRIAL_END - timedelta(days=3)
    seed_seats(committed_db.engine, product_id=seeded.product_id, as_of=day, active=1, idle=0,
               unknown=4)  # fmt: skip
    run_alerts(engine=committed_db.engine, settings=settings_for(port), as_of=day)
    [message] = mailbox.to("trialist@example.com")
    assert "Seats active (30 days): 1" in part(message)
    assert "sign-in activity is unknown for 4 of the 5 assigned seats" in part(message)
    assert "Sign-in activity is unknown for 4 of the 5 assigned seats" in part(message, "html")


def test_trial_without_owner_or_with_a_leaver_goes_to_procurement(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, mailbox = smtp
    seed_contract(
        committed_db.engine,
        contract_number="T-2",
        is_trial=True,
        end_date=TRIAL_END,
        owner_email=None,
    )
    seed_contract(
        committed_db.engine,
        contract_number="T-3",
        is_trial=True,
        end_date=TRIAL_END,
        owner_email="left@example.com",
        app_name="Miro",
        vendor_name="Miro",
    )
    seed_person(committed_db.engine, "left@example.com", status="leaver")
    run_alerts(
        engine=committed_db.engine, settings=settings_for(port), as_of=TRIAL_END - timedelta(days=3)
    )
    messages = mailbox.to(PROCUREMENT)
    assert len(messages) == 2 and mailbox.to("left@example.com") == []
    texts = [part(m) for m in messages]
    assert any("has no owner recorded" in t for t in texts)
    assert any("left@example.com has left the company" in t for t in texts)


def test_free_seat_alert_fires_once_per_crossing_and_rearms_above_threshold(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, mailbox = smtp
    seeded = seed_contract(committed_db.engine, renewal_date=date(2028, 1, 1))
    seed_user(committed_db.engine, "assets@example.com", "asset_manager")
    settings = settings_for(port, free_seats_threshold=3)
    day = date(2026, 11, 25)

    def consume(used: int) -> None:
        with Session(committed_db.engine) as s:
            product = s.get(Product, seeded.product_id)
            assert product is not None
            product.seats_purchased, product.seats_consumed = 10, used
            s.commit()

    def run() -> int:
        report = run_alerts(engine=committed_db.engine, settings=settings, as_of=day)
        return sum(1 for x in report.planned if x.kind == "free_seats" and x.queued)

    consume(5)  # 5 free: above
    assert run() == 0
    consume(8)  # 2 free: crossed -> one alert to procurement and the asset manager
    assert run() == 2
    assert run() == 0 and run() == 0  # still below: no daily noise
    consume(9)
    assert run() == 0
    consume(6)  # 4 free: back above, re-armed
    assert run() == 0
    consume(10)  # 0 free: second crossing
    assert run() == 2
    keys = _kinds(committed_db, "free_seats")
    assert sorted(k.rsplit(":", 1)[0] for k in keys) == sorted(
        [f"free_seats:{seeded.product_id}:1"] * 2 + [f"free_seats:{seeded.product_id}:2"] * 2
    )
    [first, _second] = mailbox.to("assets@example.com")
    assert "2 free seat(s)" in part(first)
    assert "Figma Professional" in str(first["Subject"])


def test_product_threshold_overrides_the_global_setting(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, _ = smtp
    seeded = seed_contract(committed_db.engine, renewal_date=date(2028, 1, 1), seats=10)
    seed_seats(
        committed_db.engine,
        product_id=seeded.product_id,
        as_of=date(2026, 11, 25),
        active=4,
        idle=0,
    )
    with Session(committed_db.engine) as s:
        set_threshold(session=s, product_id=seeded.product_id, threshold=7)
        s.commit()
    report = run_alerts(
        engine=committed_db.engine, settings=settings_for(port), as_of=date(2026, 11, 25)
    )
    # Bought from the contract (10), assigned from the assignments (4): 6 free < 7.
    assert [x.recipient for x in report.planned if x.kind == "free_seats"] == [PROCUREMENT]


def _finding(db: Database, key: str, first_seen: datetime, savings: str = "10.00") -> None:
    with Session(db.engine) as s:
        s.add(
            Finding(
                key=key,
                kind="unused_seat",
                subject=f"seat {key}",
                application_id=None,
                monthly_savings=Decimal(savings),
                currency="EUR",
                first_seen=first_seen,
            )
        )
        s.commit()


def test_digest_goes_once_a_week_with_new_findings_only(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, mailbox = smtp
    seed_user(committed_db.engine, "assets@example.com", "asset_manager")
    seed_user(committed_db.engine, "boss@example.com", "admin")
    seed_user(committed_db.engine, "money@example.com", "finance")
    settings = settings_for(port)
    monday = datetime(2026, 11, 30, 8, tzinfo=UTC)
    _finding(committed_db, "old", monday - timedelta(days=20))
    _finding(committed_db, "new1", monday - timedelta(days=2), "25.00")
    _finding(committed_db, "new2", monday - timedelta(days=1))
    first = run_digest(engine=committed_db.engine, settings=settings, now=monday)
    assert first.queued == 2
    again = run_digest(
        engine=committed_db.engine, settings=settings, now=monday + timedelta(hours=3)
    )
    assert again.queued == 0
    [message] = mailbox.to("assets@example.com")
    text = part(message)
    assert "2 new finding(s)" in text and "seat new1" in text and "seat old" not in text
    assert "35.00 EUR per month" in text
    assert str(message["Subject"]).strip().startswith("Seatwise weekly digest 2026-W49")
    assert mailbox.to("money@example.com") == []
    _finding(committed_db, "new3", monday + timedelta(days=3))
    next_week = run_digest(engine=committed_db.engine, settings=settings, now=monday + timedelta(7))
    assert next_week.queued == 2
    text = part(mailbox.to("boss@example.com")[-1])
    assert "1 new finding(s)" in text and "seat new3" in text and "seat new1" not in text
    assert sorted(_kinds(committed_db, "digest")) == sorted(
        f"digest:2026-W{w}:{e}"
        for w in (49, 50)
        for e in ("assets@example.com", "boss@example.com")
    )


def test_monthly_spend_report_reaches_finance_with_xlsx_attached(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, mailbox = smtp
    seed_contract(
        committed_db.engine,
        renewal_date=date(2027, 3, 1),
        seats=10,
        unit_price=Decimal("12.00"),
        billing_cycle="monthly",
    )
    seed_user(committed_db.engine, "money@example.com", "finance")
    settings = settings_for(port, finance_emails=["cfo@example.com"], reporting_currency="EUR")
    report = run_spend_report(
        engine=committed_db.engine, settings=settings, as_of=date(2026, 12, 1)
    )
    assert report.queued == 2
    assert (
        run_spend_report(
            engine=committed_db.engine, settings=settings, as_of=date(2026, 12, 1)
        ).queued
        == 0
    )
    for address in ("money@example.com", "cfo@example.com"):
        [message] = mailbox.to(address)
        assert str(message["Subject"]).strip() == "Seatwise spend report 2026-11"
        [attachment] = list(message.iter_attachments())
        assert attachment.get_filename() == "seatwise-spend-2026-11.xlsx"
        workbook = load_workbook(BytesIO(attachment.get_content()))
        assert "About" in workbook.sheetnames
    text = part(mailbox.to("cfo@example.com")[0])
    # 10 seats at 12.00 a month, from 2026-03: the same in November as in October.
    assert "Spend in November 2026: 120.00 EUR (the month before: 120.00 EUR)." in text


def test_a_spend_report_that_cannot_be_built_tells_finance_why(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    """A missing FX rate must not leave finance waiting for a report that never comes."""
    port, mailbox = smtp
    seeded = seed_contract(
        committed_db.engine, seats=10, unit_price=Decimal("12.00"), billing_cycle="monthly"
    )
    with Session(committed_db.engine) as s:
        sub = s.get(Subscription, seeded.subscription_id)
        assert sub is not None
        sub.currency = "CHF"
        s.add(sub)
        s.commit()
    settings = settings_for(port, finance_emails=["cfo@example.com"], reporting_currency="EUR")
    report = run_spend_report(
        engine=committed_db.engine, settings=settings, as_of=date(2026, 12, 1)
    )
    assert report.queued == 1
    [message] = mailbox.to("cfo@example.com")
    assert str(message["Subject"]).strip() == "Seatwise spend report 2026-11 could not be built"
    assert list(message.iter_attachments()) == []
    text = part(message)
    assert "no FX rate CHF→EUR" in text and "seatwise alerts spend-report" in text
    again = run_spend_report(engine=committed_db.engine, settings=settings, as_of=date(2026, 12, 1))
    assert again.queued == 0  # said once a month
