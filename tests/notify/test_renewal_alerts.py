"""Renewal alerts: on the right days, once each, following the renewal and notice dates."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlmodel import Session

from app.inventory.models import Subscription
from app.notify.alerts import due_stage
from app.notify.dispatch import run_alerts
from app.notify.service import deliver_due
from tests.conftest import Database
from tests.notify import renewal_alert_fixtures
from tests.notify.renewal_alert_fixtures import RENEWAL, _renewals, _set_renewal
from tests.notify.seed import PROCUREMENT, outbox, part, seed_contract, settings_for
from tests.smtp_server import Mailbox

# Shared fixtures, bound in this module for pytest to find.
smtp = renewal_alert_fixtures.smtp


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
