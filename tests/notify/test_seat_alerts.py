"""Free-seat alerts: over-allocation said as such, and recipients never silently missing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlmodel import Session

from app.inventory.models import Product
from app.notify.dispatch import run_alerts
from tests.conftest import Database
from tests.notify.seed import (
    PROCUREMENT,
    outbox,
    part,
    seed_contract,
    seed_user,
    settings_for,
)
from tests.smtp_server import Mailbox, smtp_server

DAY = date(2026, 11, 25)


@pytest.fixture
def smtp() -> Iterator[tuple[int, Mailbox]]:
    with smtp_server() as server:
        yield server


def _seats(db: Database, product_id: int, *, bought: int, assigned: int) -> None:
    with Session(db.engine) as s:
        product = s.get(Product, product_id)
        assert product is not None
        product.seats_purchased, product.seats_consumed = bought, assigned
        s.commit()


def _seat_keys(db: Database) -> list[str]:
    return [row.dedupe_key for row in outbox(db.engine) if row.kind == "free_seats"]


def test_more_seats_assigned_than_bought_is_an_over_allocation_with_its_cost(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, mailbox = smtp
    seeded = seed_contract(committed_db.engine, renewal_date=date(2028, 1, 1))  # 120.00 EUR/yr
    _seats(committed_db, seeded.product_id, bought=63, assigned=70)
    run_alerts(
        engine=committed_db.engine,
        settings=settings_for(port, free_seats_threshold=10),
        as_of=DAY,
    )
    [message] = mailbox.to(PROCUREMENT)
    assert str(message["Subject"]) == (
        "Over-allocated by 7 seat(s): Figma Professional (70 assigned, 63 bought)"
    )
    for text in (part(message), part(message, "html")):
        assert "over-allocated" in text.lower() and "compliance exposure" in text
        assert "true-up" in text and "840.00 EUR a year" in text
        assert "free seat(s) left" not in text and "new joiners" not in text
    assert "120.00 EUR per annual billing cycle" in part(message)


def test_a_product_low_on_seats_that_becomes_over_allocated_is_alerted_again_once(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, mailbox = smtp
    seeded = seed_contract(committed_db.engine, renewal_date=date(2028, 1, 1))
    settings = settings_for(port, free_seats_threshold=3)

    def run(bought: int, assigned: int) -> list[str]:
        _seats(committed_db, seeded.product_id, bought=bought, assigned=assigned)
        report = run_alerts(engine=committed_db.engine, settings=settings, as_of=DAY)
        return [line.subject for line in report.planned if line.queued]

    assert run(10, 8) == ["Only 2 free seat(s) left: Figma Professional (threshold 3)"]
    assert run(10, 9) == []
    _seats(committed_db, seeded.product_id, bought=10, assigned=12)
    dry = run_alerts(engine=committed_db.engine, settings=settings, as_of=DAY, dry_run=True)
    assert [x.dedupe_key for x in dry.planned if x.kind == "free_seats"] == [
        f"free_seats:{seeded.product_id}:1:over:{PROCUREMENT}"
    ]
    assert run(10, 12) == [
        "Over-allocated by 2 seat(s): Figma Professional (12 assigned, 10 bought)"
    ]
    assert run(10, 13) == []  # still over: no daily noise
    pid = seeded.product_id
    assert _seat_keys(committed_db) == [
        f"free_seats:{pid}:1:{PROCUREMENT}",
        f"free_seats:{pid}:1:over:{PROCUREMENT}",
    ]
    assert len(mailbox.messages) == 2


def test_with_no_list_nor_asset_managers_the_seat_alert_goes_to_the_admins(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, mailbox = smtp
    seeded = seed_contract(committed_db.engine, renewal_date=date(2028, 1, 1))
    seed_user(committed_db.engine, "boss@example.com", "admin")
    _seats(committed_db, seeded.product_id, bought=10, assigned=9)
    settings = settings_for(port, procurement_emails=[], free_seats_threshold=3)
    run_alerts(engine=committed_db.engine, settings=settings, as_of=DAY)
    assert _seat_keys(committed_db) == [f"free_seats:{seeded.product_id}:1:boss@example.com"]
    assert len(mailbox.to("boss@example.com")) == 1


def test_a_seat_alert_nobody_can_receive_is_not_marked_sent_and_goes_out_later(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, mailbox = smtp
    seeded = seed_contract(committed_db.engine, renewal_date=date(2028, 1, 1))
    _seats(committed_db, seeded.product_id, bought=10, assigned=9)
    nobody = settings_for(port, procurement_emails=[], free_seats_threshold=3)
    run_alerts(engine=committed_db.engine, settings=nobody, as_of=DAY)
    run_alerts(engine=committed_db.engine, settings=nobody, as_of=DAY)
    assert _seat_keys(committed_db) == []
    # Once there is someone to tell, the crossing (still the first) is alerted.
    listed = settings_for(port, free_seats_threshold=3)
    run_alerts(engine=committed_db.engine, settings=listed, as_of=DAY)
    assert _seat_keys(committed_db) == [f"free_seats:{seeded.product_id}:1:{PROCUREMENT}"]
    assert len(mailbox.to(PROCUREMENT)) == 1
