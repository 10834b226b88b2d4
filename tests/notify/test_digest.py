"""The weekly digest: totals and order in the reporting currency."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlmodel import Session

from app.findings.models import Finding
from app.notify.dispatch import run_digest
from app.spend.fx import set_rate
from tests.conftest import Database
from tests.notify.seed import part, seed_contract, seed_user, settings_for
from tests.smtp_server import Mailbox, smtp_server

MONDAY = datetime(2026, 11, 30, 8, tzinfo=UTC)


@pytest.fixture
def smtp() -> Iterator[tuple[int, Mailbox]]:
    with smtp_server() as server:
        yield server


def _finding(
    db: Database, key: str, savings: str, currency: str, kind: str = "unused_seat",
    application_id: int | None = None, count: int = 1,
) -> None:  # fmt: skip
    """``count`` findings (keys ``key``, or ``key0``, ``key1``, … for several)."""
    with Session(db.engine) as s:
        for i in range(count):
            name = key if count == 1 else f"{key}{i:03}"
            s.add(
                Finding(
                    key=name, kind=kind, application_id=application_id, subject=f"seat {name}",
                    monthly_savings=Decimal(savings), currency=currency,
                    first_seen=MONDAY - timedelta(days=1),
                )
            )  # fmt: skip
        s.commit()


def test_digest_totals_and_sorts_savings_in_the_reporting_currency(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, mailbox = smtp
    seed_user(committed_db.engine, "assets@example.com", "asset_manager")
    _finding(committed_db, "eur", "20.00", "EUR")
    _finding(committed_db, "usd", "30.00", "USD")  # 15.00 EUR: after the 20.00 EUR one
    _finding(committed_db, "gbp", "50.00", "GBP")  # no rate: named, not added
    with Session(committed_db.engine) as s:
        set_rate(session=s, base="USD", quote="EUR", day=MONDAY.date(), rate=Decimal("0.5"))
        s.commit()
    run_digest(engine=committed_db.engine, settings=settings_for(port), now=MONDAY)
    [message] = mailbox.to("assets@example.com")
    text, html = part(message), part(message, "html")
    total = "possible savings 35.00 EUR per month (not counting the amounts in GBP: no FX rate"
    [line] = [x for x in text.splitlines() if "possible savings" in x]
    assert total in line and "USD" not in line  # one total, never one per currency
    assert "35.00 EUR per month (not counting the amounts in GBP" in html
    order = [text.index(f"seat {key}") for key in ("eur", "usd", "gbp")]
    assert order == sorted(order)
    assert "saves 30.00 USD per month (15.00 EUR)" in text
    assert "saves 50.00 GBP per month (no FX rate to EUR)" in text


def test_digest_summarises_by_kind_and_application_with_the_largest_ten_and_links(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, mailbox = smtp
    seed_user(committed_db.engine, "assets@example.com", "asset_manager")
    seeded = seed_contract(committed_db.engine, app_name="Slack", vendor_name="Slack Inc")
    for n in range(1, 51):  # 12 findings saving each of 1.00 … 50.00 EUR
        _finding(committed_db, f"u{n:02}-", f"{n}.00", "EUR", count=12)
    _finding(
        committed_db, "l", "2.00", "EUR", kind="leaver_seat",
        application_id=seeded.application_id, count=300,
    )  # fmt: skip
    run_digest(engine=committed_db.engine, settings=settings_for(port), now=MONDAY)
    [message] = mailbox.to("assets@example.com")
    text, html = part(message).replace("\r\n", "\n"), part(message, "html")
    # 600 x (1 + ... + 50) / 50 = 15,300.00; 300 x 2.00 = 600.00.
    assert "900 new finding(s) on your applications; possible savings 15,900.00 EUR" in text
    base = "https://seatwise.example.com/findings?status=open"
    for line in (
        f"- unused_seat: 600, 15,300.00 EUR per month\n  {base}&kind=unused_seat",
        f"- leaver_seat: 300, 600.00 EUR per month\n  {base}&kind=leaver_seat",
        f"- Slack: 300, 600.00 EUR per month\n  {base}&application={seeded.application_id}",
        "- —: 600, 15,300.00 EUR per month",
    ):
        assert line in text, line
    examples = [x for x in text.splitlines() if x.startswith("- [")]
    assert len(examples) == 10 and all("saves 50.00 EUR" in x for x in examples)
    assert html.index("Review the findings") < html.index("Kind")
    assert len(html.encode()) < 30_000 and len(text.encode()) < 8_000
