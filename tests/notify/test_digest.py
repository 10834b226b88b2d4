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
from tests.notify.seed import part, seed_user, settings_for
from tests.smtp_server import Mailbox, smtp_server

MONDAY = datetime(2026, 11, 30, 8, tzinfo=UTC)


@pytest.fixture
def smtp() -> Iterator[tuple[int, Mailbox]]:
    with smtp_server() as server:
        yield server


def _finding(
    db: Database, key: str, savings: str, currency: str, kind: str = "unused_seat"
) -> None:
    with Session(db.engine) as s:
        s.add(
            Finding(
                key=key,
                kind=kind,
                subject=f"seat {key}",
                monthly_savings=Decimal(savings),
                currency=currency,
                first_seen=MONDAY - timedelta(days=1),
            )
        )
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
    total = "Possible savings: 35.00 EUR per month (not counting the amounts in GBP: no FX rate"
    assert total in text
    assert "USD" not in text.split("\n- ")[0]  # one total, never one per currency
    assert "35.00 EUR</strong> per month (not counting the amounts in GBP" in html
    order = [text.index(f"seat {key}") for key in ("eur", "usd", "gbp")]
    assert order == sorted(order)
    assert "saves 30.00 USD per month, 15.00 EUR" in text
    assert "saves 50.00 GBP per month, no FX rate to EUR" in text
