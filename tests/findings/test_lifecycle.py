"""Findings across runs: upsert by key, review decisions kept, reopened, resolved."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import Session, select

from app.auth.models import AuditLog
from app.core.errors import ConflictError, InvalidInputError, NotFoundError
from app.core.settings import Settings
from app.findings import review
from app.findings.models import Finding
from app.findings.service import analyze
from app.inventory.models import Subscription
from app.people.models import Account
from tests.findings.company import build_company
from tests.findings.factories import TODAY, days_ago, planted_key, stored_finding

SETTINGS = Settings(environment="test", secret_key="k" * 40)


def test_second_run_updates_last_seen_and_keeps_first_seen(session: Session) -> None:
    build_company(session)
    first = analyze(session=session, settings=SETTINGS, today=TODAY)
    before = {f.key: f.first_seen for f in session.exec(select(Finding))}
    second = analyze(session=session, settings=SETTINGS, today=TODAY)
    assert first.new == len(before) and second.new == 0 and second.resolved == 0
    for f in session.exec(select(Finding)):
        session.refresh(f)
        assert f.first_seen == before[f.key] and f.last_seen >= f.first_seen
        assert f.status == "open"


def test_dismissed_finding_stays_dismissed_across_runs(session: Session) -> None:
    planted = build_company(session)
    analyze(session=session, settings=SETTINGS, today=TODAY)
    key = planted_key(list(planted.expected), "unused_seat:")
    review.set_status(session=session, key=key, status="dismissed", by="ann", reason="on leave")
    # A day later the account is one day more inactive: not a material change.
    summary = analyze(session=session, settings=SETTINGS, today=TODAY.replace(day=26))
    row = stored_finding(session, key)
    assert row.status == "dismissed" and row.status_by == "ann"
    assert row.status_reason == "on leave" and summary.reopened == 0
    audit = session.exec(select(AuditLog).where(AuditLog.action == "finding.dismiss")).one()
    assert audit.actor == "ann" and audit.target == key


def test_savings_total_leaves_out_a_finding_that_stays_dismissed(session: Session) -> None:
    planted = build_company(session)
    first = analyze(session=session, settings=SETTINGS, today=TODAY)
    key = planted_key(list(planted.expected), "unused_seat:")
    row = stored_finding(session, key)
    assert row.monthly_savings and row.currency
    review.set_status(session=session, key=key, status="dismissed", by="ann", reason="on leave")
    again = analyze(session=session, settings=SETTINGS, today=TODAY)
    assert again.counts == first.counts  # still found, and still listed as dismissed
    totals = (first.total_monthly_savings, again.total_monthly_savings)
    assert totals[0][row.currency] - totals[1][row.currency] == row.monthly_savings
    review.set_status(session=session, key=key, status="open", by="ann")
    assert analyze(session=session, settings=SETTINGS, today=TODAY).total_monthly_savings == (
        first.total_monthly_savings
    )


def test_acknowledged_finding_stays_acknowledged_across_runs(session: Session) -> None:
    planted = build_company(session)
    analyze(session=session, settings=SETTINGS, today=TODAY)
    key = planted_key(list(planted.expected), "overuse:")
    review.set_status(session=session, key=key, status="acknowledged", by="ann")
    analyze(session=session, settings=SETTINGS, today=TODAY)
    assert stored_finding(session, key).status == "acknowledged"


def test_dismissed_finding_reopened_when_its_savings_change(session: Session) -> None:
    planted = build_company(session)
    analyze(session=session, settings=SETTINGS, today=TODAY)
    key = planted_key(list(planted.expected), "unused_seat:")
    review.set_status(session=session, key=key, status="dismissed", by="ann", reason="ok")
    contract = session.exec(
        select(Subscription).where(Subscription.contract_number == "MS-E3")
    ).one()
    contract.unit_price = Decimal("300")
    session.add(contract)
    session.flush()
    summary = analyze(session=session, settings=SETTINGS, today=TODAY)
    row = stored_finding(session, key)
    assert row.status == "open" and row.monthly_savings == Decimal("25.00")
    assert summary.reopened == 1 and "facts changed" in (row.status_reason or "")


def test_overuse_reopened_when_excess_seats_change(session: Session) -> None:
    planted = build_company(session)
    analyze(session=session, settings=SETTINGS, today=TODAY)
    key = planted_key(list(planted.expected), "overuse:")
    review.set_status(session=session, key=key, status="dismissed", by="ann", reason="true-up")
    product_id = int(key.split(":")[1])
    from app.inventory.models import Product

    product = session.get(Product, product_id)
    assert product is not None
    product.seats_consumed = 5
    session.add(product)
    session.flush()
    analyze(session=session, settings=SETTINGS, today=TODAY)
    row = stored_finding(session, key)
    assert row.status == "open" and row.evidence["excess_seats"] == 4


def test_finding_resolved_when_no_longer_produced_and_reopened_when_back(
    session: Session,
) -> None:
    planted = build_company(session)
    analyze(session=session, settings=SETTINGS, today=TODAY)
    key = planted_key(list(planted.expected), "unused_seat:")
    review.set_status(session=session, key=key, status="dismissed", by="ann", reason="ok")
    account = session.get(Account, int(key.split(":")[1]))
    assert account is not None
    account.last_active_at = days_ago(2)
    session.add(account)
    session.flush()
    summary = analyze(session=session, settings=SETTINGS, today=TODAY)
    row = stored_finding(session, key)
    assert row.status == "resolved" and row.resolved_at is not None and summary.resolved == 1
    account.last_active_at = days_ago(200)
    session.add(account)
    session.flush()
    again = analyze(session=session, settings=SETTINGS, today=TODAY)
    row = stored_finding(session, key)
    assert row.status == "open" and row.resolved_at is None and again.reopened == 1


def test_a_dismissal_outlives_a_run_that_did_not_produce_the_finding(session: Session) -> None:
    # An analyze --as-of in the past (or a sync that briefly lacked the seat) resolves
    # the finding; produced again with the same facts, it is dismissed again, as issue 5
    # says ("stays dismissed across runs until its facts change materially").
    planted = build_company(session)
    first = analyze(session=session, settings=SETTINGS, today=TODAY)
    key = planted_key(list(planted.expected), "unused_seat:")
    review.set_status(session=session, key=key, status="dismissed", by="ann", reason="on leave")
    dismissed_at = stored_finding(session, key).status_at
    past = analyze(session=session, settings=SETTINGS, today=TODAY.replace(year=TODAY.year - 3))
    row = stored_finding(session, key)
    assert row.status == "resolved" and row.resolved_from == "dismissed" and past.resolved > 0
    back = analyze(session=session, settings=SETTINGS, today=TODAY)
    row = stored_finding(session, key)
    assert (row.status, row.status_by, row.status_reason) == ("dismissed", "ann", "on leave")
    assert row.status_at == dismissed_at and row.resolved_at is None
    currency = row.currency or ""
    assert back.total_monthly_savings[currency] == (
        first.total_monthly_savings[currency] - (row.monthly_savings or 0)
    )
    # The others the past run resolved were open: they come back open.
    assert all(
        f.status == "open"
        for f in session.exec(select(Finding).where(Finding.key != key))
        if f.key in planted.expected
    )


def test_dismiss_without_reason_refused(session: Session) -> None:
    planted = build_company(session)
    analyze(session=session, settings=SETTINGS, today=TODAY)
    key = next(iter(planted.expected))
    with pytest.raises(InvalidInputError, match="reason is required"):
        review.set_status(session=session, key=key, status="dismissed", by="ann", reason="  ")


def test_review_of_unknown_key_names_it(session: Session) -> None:
    with pytest.raises(NotFoundError, match="nope:1"):
        review.set_status(session=session, key="nope:1", status="acknowledged", by="ann")


def test_resolved_finding_cannot_be_dismissed(session: Session) -> None:
    planted = build_company(session)
    analyze(session=session, settings=SETTINGS, today=TODAY)
    key = planted_key(list(planted.expected), "trial_ending:")
    analyze(session=session, settings=SETTINGS, today=TODAY.replace(year=2027))
    with pytest.raises(ConflictError, match="resolved"):
        review.set_status(session=session, key=key, status="dismissed", by="a", reason="x")


def test_list_filters_by_kind_status_application_and_severity(session: Session) -> None:
    planted = build_company(session)
    analyze(session=session, settings=SETTINGS, today=TODAY)
    items, total, savings = review.list_findings(
        session=session, flt=review.FindingFilter(kind="unassigned_seats")
    )
    assert total == 2 and {i.kind for i in items} == {"unassigned_seats"}
    assert savings == {"EUR": "71.67"}
    items, total, _ = review.list_findings(
        session=session, flt=review.FindingFilter(application="slack")
    )
    assert {i.application for i in items} == {"Slack"} and total == 3
    items, _, _ = review.list_findings(
        session=session, flt=review.FindingFilter(severity="critical")
    )
    assert [i.kind for i in items] == ["leaver_seat"]
    assert items[0].product == "business_plus"
    key = planted_key(list(planted.expected), "renewal_due:")
    review.set_status(session=session, key=key, status="dismissed", by="a", reason="handled")
    items, total, _ = review.list_findings(
        session=session, flt=review.FindingFilter(status="dismissed")
    )
    assert [i.key for i in items] == [key] and total == 1


def test_list_refuses_unknown_status(session: Session) -> None:
    with pytest.raises(InvalidInputError, match="unknown status 'closed'"):
        review.list_findings(session=session, flt=review.FindingFilter(status="closed"))
