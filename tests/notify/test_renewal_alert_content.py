"""What a renewal alert says: seats, cost, findings, decisions, data freshness."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlmodel import Session

from app.inventory.models import Product, Subscription
from app.notify.dispatch import run_alerts
from app.notify.figures import contract_figures
from app.spend.fx import set_rate
from app.sync.models import ConnectorConfig, SyncRun
from tests.conftest import Database
from tests.notify import renewal_alert_fixtures
from tests.notify.renewal_alert_fixtures import RENEWAL, _renewals, _set_renewal
from tests.notify.seed import part, seed_contract, seed_finding, seed_seats, settings_for
from tests.smtp_server import Mailbox

# Shared fixtures, bound in this module for pytest to find.
smtp = renewal_alert_fixtures.smtp


def test_alert_body_shows_seats_cost_findings_and_recommendation(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, mailbox = smtp
    day = RENEWAL - timedelta(days=60)
    seeded = seed_contract(
        committed_db.engine,
        renewal_date=RENEWAL,
        seats=20,
        unit_price=Decimal("10.00"),
        billing_cycle="monthly",
    )
    seed_seats(committed_db.engine, product_id=seeded.product_id, as_of=day, active=9, idle=6)
    seed_finding(
        committed_db.engine,
        application_id=seeded.application_id,
        product_id=seeded.product_id,
        key="f1",
        savings=Decimal("30.00"),
    )
    seed_finding(
        committed_db.engine,
        application_id=seeded.application_id,
        product_id=seeded.product_id,
        key="f2",
        savings=Decimal("12.50"),
    )
    seed_finding(
        committed_db.engine,
        application_id=seeded.application_id,
        product_id=seeded.product_id,
        key="f3",
        savings=Decimal("99.00"),
        status="dismissed",
    )
    run_alerts(engine=committed_db.engine, settings=settings_for(port), as_of=day)
    [message] = mailbox.to("owner@example.com")
    text = part(message)
    html = part(message, "html")
    # 20 seats x 10.00 a month = 2,400.00 a year; 9 active -> 266.67 each; 9 * 1.1 -> 10.
    for expected in [
        "Seats bought:          20",
        "Seats assigned:        15",
        "Seats active (30 days): 9",
        "Annual cost:           2,400.00 EUR",
        "Cost per active user:  266.67 EUR per year",
        "Recommended seats:     10 ",
        "2 open finding(s) on Figma Professional; possible savings 42.50 EUR per month.",
        "- unused_seat: 2, 42.50 EUR per month",
        "Contract number:       C-100",
        "Vendor:                Figma Inc",
        "Renewal date:          2027-03-01",
        "https://seatwise.example.com/renewals/",
    ]:
        assert expected in text, expected
    assert "seat f3" not in text
    for expected in ["2,400.00 EUR", "266.67 EUR per year", "42.50 EUR", "<table", "C-100"]:
        assert expected in html, expected
    assert "<script" not in html and "style=" in html


@pytest.mark.parametrize("unknown", [12, 0])
def test_alert_says_when_seats_have_no_activity_data_instead_of_calling_them_unused(
    committed_db: Database, smtp: tuple[int, Mailbox], unknown: int
) -> None:
    port, mailbox = smtp
    day = RENEWAL - timedelta(days=60)
    seeded = seed_contract(committed_db.engine, renewal_date=RENEWAL, seats=20)
    seed_seats(
        committed_db.engine, product_id=seeded.product_id, as_of=day, active=2, idle=1,
        unknown=unknown,
    )  # fmt: skip
    run_alerts(engine=committed_db.engine, settings=settings_for(port), as_of=day)
    [message] = mailbox.to("owner@example.com")
    text, html = part(message), part(message, "html")
    # The figures keep their rules (only known activity counts); the e-mail says so.
    assert f"Seats assigned:        {3 + unknown}" in text
    assert "Seats active (30 days): 2" in text
    note = f"ign-in activity is unknown for {unknown} of the {3 + unknown} assigned seats"
    assert (f"s{note}" in text, f"S{note}" in html) == (bool(unknown), bool(unknown))
    assert ("activity is unknown" in text) == bool(unknown)


def test_alert_summarises_the_findings_on_its_own_product_with_links_near_the_top(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, mailbox = smtp
    day = RENEWAL - timedelta(days=60)
    e5 = seed_contract(
        committed_db.engine, contract_number="MS-E5", app_name="Microsoft 365",
        vendor_name="Microsoft", renewal_date=RENEWAL, seats=100,
    )  # fmt: skip
    e3 = seed_contract(
        committed_db.engine, contract_number="MS-E3", app_name="Microsoft 365",
        vendor_name="Microsoft", renewal_date=date(2027, 9, 1), seats=900,
    )  # fmt: skip
    for i in range(30):  # the E5 product's: 30 unused seats, 2 leavers, its notice deadline
        seed_finding(
            committed_db.engine, application_id=e5.application_id, product_id=e5.product_id,
            key=f"e5-{i:02}", savings=Decimal(10 + i),
        )  # fmt: skip
    for i in range(2):
        seed_finding(
            committed_db.engine, application_id=e5.application_id, product_id=e5.product_id,
            key=f"e5-leaver-{i}", savings=Decimal("20.00"), kind="leaver_seat",
            currency="USD",
        )  # fmt: skip
    seed_finding(
        committed_db.engine, application_id=e5.application_id, product_id=e5.product_id,
        key="e5-notice", savings=None, kind="notice_deadline",
    )  # fmt: skip
    for i in range(200):  # another product's and another contract's: not this renewal's
        seed_finding(
            committed_db.engine, application_id=e3.application_id, product_id=e3.product_id,
            key=f"e3-{i:03}", savings=Decimal("500.00"),
        )  # fmt: skip
    with Session(committed_db.engine) as s:
        set_rate(session=s, base="USD", quote="EUR", day=day, rate=Decimal("0.50"))
        s.commit()
    run_alerts(engine=committed_db.engine, settings=settings_for(port), as_of=day)
    [message] = mailbox.to("owner@example.com")
    text, html = part(message).replace("\r\n", "\n"), part(message, "html")
    assert "e3-" not in text and "e3-" not in html
    # 30 + 2 + 1 findings; 10 + ... + 39 = 735.00 EUR and 2 x 20.00 USD at 0.50 = 20.00 EUR.
    summary = "33 open finding(s) on Microsoft 365 Professional; possible savings 755.00 EUR"
    assert summary in text and "33 open finding(s) on Microsoft 365 Professional" in html
    product_link = f"https://seatwise.example.com/findings?product={e5.product_id}&status=open"
    for line in (
        f"- unused_seat: 30, 735.00 EUR per month\n  {product_link}&kind=unused_seat",
        f"- leaver_seat: 2, 20.00 EUR per month\n  {product_link}&kind=leaver_seat",
        f"- notice_deadline: 1, no savings stated\n  {product_link}&kind=notice_deadline",
    ):
        assert line in text, line
    examples = [x for x in text.splitlines() if x.startswith("- [")]
    assert len(examples) == 5 and "seat e5-29 — saves 39.00 EUR" in examples[0]
    assert "seat e5-leaver-0 — saves 20.00 USD per month (10.00 EUR)" not in text  # not top 5
    # The links come before the figures; the message stays small.
    assert text.index(product_link) < text.index("Seats bought:")
    assert html.index(product_link.replace("&", "&amp;")) < html.index("Seats bought")
    assert "https://seatwise.example.com/renewals/" in html[: html.index("Seats bought")]
    assert len(html.encode()) < 30_000 and len(text.encode()) < 8_000


def test_alert_states_a_recorded_cancel_and_keeps_its_deadline_urgent(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, mailbox = smtp
    seed_contract(committed_db.engine, renewal_date=RENEWAL, auto_renew=True, notice_days=30)
    day = RENEWAL - timedelta(days=30 + 30)
    _set_renewal(committed_db, "C-100", day, state="decided", decision="cancel")
    run_alerts(engine=committed_db.engine, settings=settings_for(port), as_of=day)
    [message] = mailbox.to("owner@example.com")
    text, html = part(message), part(message, "html")
    assert "Decision recorded: cancel — give notice by 2027-01-30." in text
    assert "Decision recorded: cancel — give notice by 2027-01-30." in html
    subject = " ".join(str(message["Subject"]).split())
    assert subject.startswith("Notice deadline in 30 days: Figma auto-renews 2027-03-01")
    assert subject.endswith("— decided: cancel, give notice by 2027-01-30")


def test_a_decided_renew_drops_the_countdown_but_still_names_the_deadline(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, mailbox = smtp
    seed_contract(committed_db.engine, renewal_date=RENEWAL, auto_renew=True, notice_days=30)
    day = RENEWAL - timedelta(days=30 + 7)
    _set_renewal(committed_db, "C-100", day, state="decided", decision="renew")
    report = run_alerts(engine=committed_db.engine, settings=settings_for(port), as_of=day)
    assert len(_renewals(report)) == 2  # the reminders go on
    [message] = mailbox.to("owner@example.com")
    subject = " ".join(str(message["Subject"]).split())
    assert subject == (
        "Renewal decided (renew): Figma auto-renews 2027-03-01, notice deadline 2027-01-30 "
        "(contract C-100)"
    )
    text = part(message)
    assert "Decision recorded: renew — no notice to give (notice deadline 2027-01-30)." in text
    assert "Notice deadline:       2027-01-30" in text


def test_a_contract_no_connector_reports_says_so_instead_of_zero_seats(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, mailbox = smtp
    seeded = seed_contract(committed_db.engine, renewal_date=RENEWAL, seats=40)
    with Session(committed_db.engine) as s:  # like Zoom: a contract, no synced product
        sub = s.get_one(Subscription, seeded.subscription_id)
        sub.product_id = None
        s.commit()
    run_alerts(
        engine=committed_db.engine, settings=settings_for(port), as_of=RENEWAL - timedelta(30)
    )
    [message] = mailbox.to("owner@example.com")
    text, html = part(message), part(message, "html")
    assert "Seats assigned/active: no usage data (no connector reports this product)" in text
    assert "no usage data (no connector reports this product)" in html
    assert "Seats assigned:" not in text and "Seats active (30 days):" not in text
    assert "Cost per active user:  — (no usage data)" in text
    assert "Inventory synced" not in text


def test_a_contract_naming_a_product_the_inventory_lacks_counts_no_other_products_seats(
    committed_db: Database,
) -> None:
    # An "E5" contract imported before E5 is synced is not about the application's E3:
    # its figures say "no usage data", as the analytics price and pair it by its product.
    seeded = seed_contract(committed_db.engine, renewal_date=RENEWAL, seats=40)
    seed_seats(committed_db.engine, product_id=seeded.product_id, as_of=RENEWAL, active=3, idle=2)
    day = RENEWAL - timedelta(30)
    with Session(committed_db.engine) as s:
        sub = s.get_one(Subscription, seeded.subscription_id)
        sub.product_id, sub.product_ref = None, "Figma Enterprise"
        s.commit()
        figures = contract_figures(session=s, subscription=sub, as_of=day)
        assert (figures.has_usage, figures.seats_assigned, figures.recommended_seats) == (
            False, 0, None
        )  # fmt: skip
        sub.product_ref = None  # naming no product: the application's seats are its own
        figures = contract_figures(session=s, subscription=sub, as_of=day)
        assert (figures.has_usage, figures.seats_assigned) == (True, 5)


def _synced_product(db: Database, product_id: int, runs: list[tuple[datetime, str]]) -> None:
    """The product owned by a connector ``m365`` with these sync runs (end, status)."""
    with Session(db.engine) as s:
        connector = ConnectorConfig(kind="microsoft365", name="m365")
        s.add(connector)
        s.flush()
        assert connector.id is not None
        s.get_one(Product, product_id).connector_id = connector.id
        for end, status in runs:
            s.add(
                SyncRun(connector_id=connector.id, started_at=end, finished_at=end, status=status)
            )
        s.commit()


@pytest.mark.parametrize("synced_days_ago", [1, 10])
def test_alert_says_when_the_inventory_was_synced_and_warns_when_that_is_old(
    committed_db: Database, smtp: tuple[int, Mailbox], synced_days_ago: int
) -> None:
    port, mailbox = smtp
    day = RENEWAL - timedelta(days=30)
    seeded = seed_contract(committed_db.engine, renewal_date=RENEWAL)
    synced = datetime.combine(day - timedelta(days=synced_days_ago), time(6, 30), tzinfo=UTC)
    failed = datetime.combine(day, time(6, 30), tzinfo=UTC)  # a failed run counts for nothing
    _synced_product(committed_db, seeded.product_id, [(synced, "succeeded"), (failed, "failed")])
    run_alerts(engine=committed_db.engine, settings=settings_for(port), as_of=day)
    [message] = mailbox.to("owner@example.com")
    text, html = part(message), part(message, "html")
    when = f"{synced:%Y-%m-%d} 06:30 UTC"
    assert f"Inventory synced:      {when} (latest successful sync of connector m365)" in text
    warning = f"last synced {synced_days_ago} day(s) ago ({when}, connector m365)"
    assert (warning in text, warning in html) == (synced_days_ago > 3, synced_days_ago > 3)
    assert ("may be out of date" in text) == (synced_days_ago > 3)
