"""Renewal alerts: the right e-mails to the right people on the right days, once each."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlmodel import Session

from app.inventory.models import Product, Subscription
from app.notify.alerts import due_stage
from app.notify.dispatch import PlannedLine, RunReport, run_alerts
from app.notify.figures import contract_figures
from app.notify.service import deliver_due
from app.renewals.service import set_state
from app.spend.fx import set_rate
from app.sync.models import ConnectorConfig, SyncRun
from tests.conftest import Database
from tests.notify.seed import (
    PROCUREMENT,
    outbox,
    part,
    seed_contract,
    seed_finding,
    seed_person,
    seed_seats,
    seed_user,
    settings_for,
)
from tests.smtp_server import Mailbox, smtp_server

RENEWAL = date(2027, 3, 1)


@pytest.fixture
def smtp() -> Iterator[tuple[int, Mailbox]]:
    with smtp_server() as server:
        yield server


def _renewals(report: RunReport) -> list[PlannedLine]:
    return [line for line in report.planned if line.kind == "renewal"]


def _days_with_alerts(db: Database, port: int, days_before: list[int]) -> dict[int, list[str]]:
    """Run the alerts on each day (counted before the renewal); the renewal keys each queued."""
    settings = settings_for(port)
    fired: dict[int, list[str]] = {}
    for days in sorted(days_before, reverse=True):
        day = RENEWAL - timedelta(days=days)
        report = run_alerts(engine=db.engine, settings=settings, as_of=day, deliver=False)
        queued = [x.dedupe_key for x in report.planned if x.queued and x.kind == "renewal"]
        if queued:
            again = run_alerts(engine=db.engine, settings=settings, as_of=day, deliver=False)
            assert again.queued == 0, f"second run on {day} queued again"
            fired[days] = queued
    return fired


# Every day around each stage, every fifth day elsewhere (keeps the PostgreSQL run short).
TRAVEL = sorted(
    {d for t in (90, 60, 30, 7) for d in range(t - 2, t + 3)} | set(range(0, 101, 5)),
    reverse=True,
)


def test_due_stage_covers_exact_days_and_catch_up_window() -> None:
    stages = [90, 60, 30, 7]
    assert due_stage(91, stages) is None
    assert due_stage(90, stages) == 90
    assert due_stage(61, stages) == 90
    assert due_stage(60, stages) == 60
    assert due_stage(8, stages) == 30
    assert due_stage(7, stages) == 7
    assert due_stage(0, stages) == 7
    assert due_stage(-1, stages) is None


def test_thresholds_fire_once_each_on_their_day_to_owner_and_procurement(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, mailbox = smtp
    seeded = seed_contract(committed_db.engine, renewal_date=RENEWAL)
    fired = _days_with_alerts(committed_db, port, TRAVEL)
    assert sorted(fired, reverse=True) == [90, 60, 30, 7]
    for days, keys in fired.items():
        prefix = f"renewal:{seeded.vendor_id}:C-100:2027-03-01:{days}d"
        assert sorted(keys) == sorted([f"{prefix}:owner@example.com", f"{prefix}:{PROCUREMENT}"])
    report = deliver_due(engine=committed_db.engine, settings=settings_for(port))
    assert report.sent == 9  # 8 renewal alerts and 1 escalation (undecided, 14 days)
    subjects = sorted(m["Subject"] for m in mailbox.to("owner@example.com"))
    assert subjects == sorted(
        f"Renewal in {d} days: Figma on 2027-03-01 (contract C-100)" for d in (90, 60, 30, 7)
    )
    assert len(mailbox.to(PROCUREMENT)) == 5


def test_missed_day_is_caught_up_once(committed_db: Database, smtp: tuple[int, Mailbox]) -> None:
    port, mailbox = smtp
    seed_contract(committed_db.engine, renewal_date=RENEWAL)
    settings = settings_for(port)
    # The job did not run on day 90 before the renewal; it runs on day 88 and 87.
    first = run_alerts(engine=committed_db.engine, settings=settings, as_of=RENEWAL - timedelta(88))
    second = run_alerts(
        engine=committed_db.engine, settings=settings, as_of=RENEWAL - timedelta(87)
    )
    assert first.queued == 2 and second.queued == 0
    assert all(":90d:" in line.dedupe_key for line in first.planned)
    assert len(mailbox.messages) == 2


def test_renewal_date_moved_by_reimport_rearms_alerts(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, _ = smtp
    seeded = seed_contract(committed_db.engine, renewal_date=RENEWAL)
    settings = settings_for(port)
    day = RENEWAL - timedelta(days=30)
    assert run_alerts(engine=committed_db.engine, settings=settings, as_of=day).queued == 2
    assert run_alerts(engine=committed_db.engine, settings=settings, as_of=day).queued == 0
    assert [line.kind for line in outbox(committed_db.engine)] == ["renewal", "renewal"]
    moved = RENEWAL + timedelta(days=7)
    with Session(committed_db.engine) as s:
        sub = s.get(Subscription, seeded.subscription_id)
        assert sub is not None
        sub.renewal_date = moved
        s.commit()
    # The new date's stages are armed afresh: 37 days left is inside its 60-day stage.
    same_day = run_alerts(engine=committed_db.engine, settings=settings, as_of=day)
    assert {x.dedupe_key.split(":", 4)[4] for x in same_day.planned} == {
        "60d:owner@example.com",
        f"60d:{PROCUREMENT}",
    }
    later = moved - timedelta(days=30)
    report = run_alerts(engine=committed_db.engine, settings=settings, as_of=later)
    assert report.queued == 2
    assert all("2027-03-08:30d" in line.dedupe_key for line in _renewals(report))


def test_auto_renewing_contract_counts_down_to_notice_deadline(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, mailbox = smtp
    seed_contract(committed_db.engine, renewal_date=RENEWAL, auto_renew=True, notice_days=30)
    deadline = RENEWAL - timedelta(days=30)
    settings = settings_for(port)
    at_renewal_minus_90 = run_alerts(
        engine=committed_db.engine, settings=settings, as_of=RENEWAL - timedelta(days=90)
    )
    assert at_renewal_minus_90.queued == 2  # 60 days before the deadline
    assert all(":60d:" in line.dedupe_key for line in at_renewal_minus_90.planned)
    on_day = run_alerts(
        engine=committed_db.engine, settings=settings, as_of=deadline - timedelta(days=7)
    )
    assert [line.dedupe_key.split(":")[-2] for line in _renewals(on_day)] == ["7d", "7d"]
    after = run_alerts(
        engine=committed_db.engine, settings=settings, as_of=deadline + timedelta(days=1)
    )
    assert [line.dedupe_key.split(":")[-2] for line in _renewals(after)] == ["missed"] * 2
    [message, *_] = mailbox.to("owner@example.com")
    text = part(message)
    assert "Notice deadline:       2027-01-30" in text and "Auto-renew:            yes" in text
    subject = str(message["Subject"]).strip()  # Python folds long subjects after the colon
    assert subject.startswith("Notice deadline in 60 days: Figma auto-renews")


def test_owner_who_left_is_replaced_by_procurement_with_the_fact_stated(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, mailbox = smtp
    seed_contract(committed_db.engine, renewal_date=RENEWAL, owner_email="Gone@Example.com")
    seed_person(committed_db.engine, "gone@example.com", status="leaver")
    report = run_alerts(
        engine=committed_db.engine, settings=settings_for(port), as_of=RENEWAL - timedelta(30)
    )
    assert [line.recipient for line in _renewals(report)] == [PROCUREMENT]
    assert mailbox.to("gone@example.com") == []
    [message] = mailbox.to(PROCUREMENT)
    text = part(message)
    html = part(message, "html")
    fact = (
        "the contract owner gone@example.com has left the company "
        "(their identity-provider account is suspended or removed)"
    )
    assert fact in text.lower() and fact in html.lower()


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


def test_alert_nobody_would_get_goes_to_procurement_users_else_admins(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, _ = smtp
    seed_contract(committed_db.engine, renewal_date=RENEWAL, owner_email=None)
    seed_user(committed_db.engine, "root@example.com", "admin")
    day = RENEWAL - timedelta(7)
    no_list = settings_for(port, procurement_emails=[])
    report = run_alerts(engine=committed_db.engine, settings=no_list, as_of=day, deliver=False)
    assert [line.recipient for line in _renewals(report)] == ["root@example.com"]
    seed_user(committed_db.engine, "Buyer@Example.com", "procurement")
    report = run_alerts(engine=committed_db.engine, settings=no_list, as_of=day, deliver=False)
    assert "buyer@example.com" in [line.recipient for line in _renewals(report)]


def test_contract_without_owner_goes_to_procurement_only(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, _ = smtp
    seed_contract(committed_db.engine, renewal_date=RENEWAL, owner_email=None)
    report = run_alerts(
        engine=committed_db.engine, settings=settings_for(port), as_of=RENEWAL - timedelta(7)
    )
    assert [line.recipient for line in _renewals(report)] == [PROCUREMENT]
    assert [row.status for row in outbox(committed_db.engine)] == ["sent", "sent"]


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


def _set_renewal(db: Database, contract: str, day: date, **change: str) -> None:
    """``seatwise renewals set CONTRACT …`` on ``day``."""
    with Session(db.engine) as s:
        set_state(session=s, contract_number=contract, as_of=day, actor="test", **change)
        s.commit()


def test_alert_goes_to_the_renewal_owner_set_on_the_task_not_the_contracts_old_one(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, mailbox = smtp
    seed_contract(
        committed_db.engine, renewal_date=RENEWAL, auto_renew=True, notice_days=30,
        owner_email="anna.ito@example.com",
    )  # fmt: skip
    day = RENEWAL - timedelta(days=30 + 60)
    _set_renewal(committed_db, "C-100", day, owner_email="New.Owner@Example.com")
    report = run_alerts(engine=committed_db.engine, settings=settings_for(port), as_of=day)
    assert sorted(x.recipient for x in _renewals(report)) == sorted(
        ["new.owner@example.com", PROCUREMENT]
    )
    assert mailbox.to("anna.ito@example.com") == []
    [message] = mailbox.to("new.owner@example.com")
    assert "Owner:                 new.owner@example.com" in part(message)
    assert "anna.ito" not in part(message)
    assert "Negotiation: open; no decision recorded yet." in part(message)


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


def test_one_reminder_once_an_auto_renewals_notice_deadline_passed_undecided(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    """The demo's Power BI: notice deadline 2026-10-30, renews 2026-12-29, 38,394.00 a year."""
    port, mailbox = smtp
    seeded = seed_contract(
        committed_db.engine, contract_number="MS-PBI-2025", renewal_date=date(2026, 12, 29),
        auto_renew=True, notice_days=60, seats=237, unit_price=None,
        total_cost=Decimal("38394.00"), app_name="Power BI", vendor_name="Microsoft",
    )  # fmt: skip
    settings = settings_for(port)
    on_deadline = run_alerts(
        engine=committed_db.engine, settings=settings, as_of=date(2026, 10, 30)
    )
    assert all(":7d:" in x.dedupe_key for x in _renewals(on_deadline))  # the last countdown
    queued = {}
    for day in (date(2026, 10, 31), date(2026, 11, 1), date(2026, 12, 4), date(2026, 12, 29)):
        report = run_alerts(engine=committed_db.engine, settings=settings, as_of=day)
        queued[day] = [x.dedupe_key for x in _renewals(report) if x.queued]
    key = f"renewal:{seeded.vendor_id}:MS-PBI-2025:2026-12-29:notice-2026-10-30:missed"
    assert sorted(queued.pop(date(2026, 10, 31))) == sorted(
        [f"{key}:owner@example.com", f"{key}:{PROCUREMENT}"]
    )
    assert queued == {day: [] for day in queued}  # sent once
    [*_, message] = mailbox.to("owner@example.com")
    subject = " ".join(str(message["Subject"]).split())
    assert subject == (
        "Notice deadline missed: Power BI auto-renews on 2026-12-29 for 38,394.00 EUR a year "
        "(contract MS-PBI-2025)"
    )
    assert "auto-renews on 2026-12-29 for 38,394.00 EUR a year" in part(message)


def test_no_missed_notice_reminder_for_a_decided_renewal_or_one_already_renewed(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, _ = smtp
    seed_contract(committed_db.engine, renewal_date=RENEWAL, auto_renew=True, notice_days=30)
    seed_contract(
        committed_db.engine, contract_number="C-OLD", renewal_date=date(2026, 12, 1),
        auto_renew=True, notice_days=30,
    )  # fmt: skip
    deadline = RENEWAL - timedelta(days=30)
    _set_renewal(committed_db, "C-100", deadline, state="decided", decision="renew")
    report = run_alerts(
        engine=committed_db.engine, settings=settings_for(port), as_of=deadline + timedelta(1)
    )
    assert _renewals(report) == []  # C-100 decided; C-OLD renewed on 2026-12-01, long past
