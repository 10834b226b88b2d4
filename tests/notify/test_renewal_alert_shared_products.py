"""Renewal alerts for contracts sharing a product: the group's seats, cost and advice."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlmodel import Session

from app.inventory.models import Subscription
from app.notify.dispatch import run_alerts
from app.notify.figures import contract_figures
from app.spend.fx import set_rate
from tests.conftest import Database
from tests.notify import renewal_alert_fixtures
from tests.notify.renewal_alert_fixtures import RENEWAL
from tests.notify.seed import part, seed_contract, seed_seats, settings_for
from tests.smtp_server import Mailbox

# Shared fixtures, bound in this module for pytest to find.
smtp = renewal_alert_fixtures.smtp


def test_alert_says_when_other_contracts_share_the_product_and_its_seat_figures(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, mailbox = smtp
    day = RENEWAL - timedelta(days=60)
    seeded = seed_contract(committed_db.engine, renewal_date=RENEWAL, seats=20)
    seed_seats(committed_db.engine, product_id=seeded.product_id, as_of=day, active=30, idle=5)
    later = seed_contract(
        committed_db.engine, contract_number="C-200", renewal_date=date(2028, 3, 1), seats=30
    )
    ended = seed_contract(
        committed_db.engine, contract_number="C-050", renewal_date=date(2026, 3, 1), seats=99,
        end_date=day - timedelta(days=1),
    )  # fmt: skip
    with Session(committed_db.engine) as s:
        for other in (later, ended):
            sub = s.get(Subscription, other.subscription_id)
            assert sub is not None
            sub.product_id = seeded.product_id
            s.add(sub)
        s.commit()
    run_alerts(engine=committed_db.engine, settings=settings_for(port), as_of=day)
    [message] = mailbox.to("owner@example.com")
    text, html = part(message), part(message, "html")
    note = (
        "1 other contract(s) cover the same product: C-200 (30). Seats assigned and active "
        "below are the product's, for the 50 seats bought by all of them together, not for "
        "this contract alone."
    )
    assert f"NOTE: {note}" in text
    assert "cover the same product: C-200 (30)" in html
    assert "for the 50 seats bought by all of them together" in html
    assert "Seats assigned:        35" in text and "C-050" not in text
    # Cost and recommendation are the group's: 20 + 30 seats at 120.00 a year = 6,000.00
    # over 30 active = 200.00; 33 for the product, shared 20:30 (13.2 + 19.8 -> 13 + 20).
    assert "Annual cost:           2,400.00 EUR (this contract); 6,000.00 EUR for all 2" in text
    assert "Cost per active user:  200.00 EUR per year (the 2 contracts' annual cost" in text
    assert "Recommended seats:     13 for this contract: its share" in text
    assert "of 33 for the product, all 2 contracts together" in text
    assert "200.00 EUR per year" in html and "of 33 for the product" in html


def test_contracts_sharing_a_product_get_the_groups_cost_per_user_and_one_recommendation(
    committed_db: Database,
) -> None:
    """The demo's Office 365 E3: 199 seats direct (276.00 a year each) and 20 through a
    reseller (23.50 a month each); 199 assigned, 143 active."""
    day = RENEWAL - timedelta(days=60)
    direct = seed_contract(
        committed_db.engine, contract_number="MS-O365-2024", renewal_date=RENEWAL, seats=199,
        unit_price=Decimal("276.00"), app_name="Microsoft 365", vendor_name="Microsoft",
    )  # fmt: skip
    reseller = seed_contract(
        committed_db.engine, contract_number="RS-O365-2026", renewal_date=RENEWAL, seats=20,
        unit_price=Decimal("23.50"), billing_cycle="monthly", app_name="Microsoft 365",
        vendor_name="Microsoft",
    )  # fmt: skip
    with Session(committed_db.engine) as s:
        sub = s.get(Subscription, reseller.subscription_id)
        assert sub is not None
        sub.product_id = direct.product_id
        s.commit()
    seed_seats(committed_db.engine, product_id=direct.product_id, as_of=day, active=143, idle=56)
    with Session(committed_db.engine) as s:
        mine, theirs = (
            contract_figures(session=s, subscription=sub, as_of=day)
            for sub in (s.get_one(Subscription, x.subscription_id) for x in (direct, reseller))
        )
    # (54,924.00 + 5,640.00) / 143, not 54,924.00 / 143 = 384.08 nor 5,640.00 / 143 = 39.44.
    assert mine.group_annual_cost == theirs.group_annual_cost == Decimal("60564.00")
    assert mine.cost_per_active_user == theirs.cost_per_active_user == Decimal("423.52")
    # 143 + 10 % -> 158 for the product, never 158 + 20: 158 * 199/219 and 158 * 20/219.
    assert mine.recommended_for_product == theirs.recommended_for_product == 158
    assert (mine.recommended_seats, theirs.recommended_seats) == (144, 14)


def test_a_shared_products_cost_is_converted_to_the_contracts_currency(
    committed_db: Database,
) -> None:
    day = RENEWAL - timedelta(days=60)
    eur = seed_contract(committed_db.engine, renewal_date=RENEWAL, seats=10)  # 1,200.00 EUR
    usd = seed_contract(committed_db.engine, contract_number="C-USD", seats=10)
    with Session(committed_db.engine) as s:
        sub = s.get(Subscription, usd.subscription_id)
        assert sub is not None
        sub.product_id, sub.currency = eur.product_id, "USD"  # 1,200.00 USD
        s.commit()
    seed_seats(committed_db.engine, product_id=eur.product_id, as_of=day, active=8, idle=0)
    with Session(committed_db.engine) as s:
        sub = s.get(Subscription, eur.subscription_id)
        assert sub is not None
        missing = contract_figures(session=s, subscription=sub, as_of=day)
        assert missing.cost_per_active_user is None and missing.group_annual_cost is None
        assert missing.group_cost_note == f"no FX rate USD→EUR on or before {day.isoformat()}"
        set_rate(session=s, base="EUR", quote="USD", day=day, rate=Decimal("1.20"))
        figures = contract_figures(session=s, subscription=sub, as_of=day)
    # 1,200.00 EUR + 1,200.00 USD / 1.20 = 2,200.00 EUR over 8 active users.
    assert figures.group_annual_cost == Decimal("2200.00")
    assert figures.cost_per_active_user == Decimal("275.00")
