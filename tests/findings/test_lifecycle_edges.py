"""Findings lifecycle edges: review decisions across several runs and material changes.

Issue 5: "a dismissed finding stays dismissed across runs until its facts change
materially"; an acknowledged one likewise keeps its status until its facts change.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from app.core.settings import Settings
from app.findings import review
from app.findings.service import analyze
from app.inventory.models import Product
from app.people.models import Account
from tests.findings.company import build_company
from tests.findings.factories import TODAY, days_ago, planted_key, stored_finding

SETTINGS = Settings(environment="test", secret_key="k" * 40)


def test_a_dismissal_outlives_two_runs_in_a_row_that_did_not_produce_the_finding(
    session: Session,
) -> None:
    """Two ``--as-of`` runs in the past resolve the finding; the second must not forget
    that it was dismissed, so the finding comes back dismissed with its reason."""
    planted = build_company(session)
    analyze(session=session, settings=SETTINGS, today=TODAY)
    key = planted_key(list(planted.expected), "unused_seat:")
    review.set_status(session=session, key=key, status="dismissed", by="ann", reason="on leave")
    for years_back in (3, 2):
        past = TODAY.replace(year=TODAY.year - years_back)
        analyze(session=session, settings=SETTINGS, today=past)
        row = stored_finding(session, key)
        assert (row.status, row.resolved_from) == ("resolved", "dismissed")
    analyze(session=session, settings=SETTINGS, today=TODAY)
    row = stored_finding(session, key)
    assert (row.status, row.status_by, row.status_reason) == ("dismissed", "ann", "on leave")


def test_a_dismissed_leaver_seat_reopens_when_why_the_person_counts_as_gone_changes(
    session: Session,
) -> None:
    """Carol's identity-provider account was suspended (dismissed: "on sabbatical"); it
    is now deleted: the reason the seat is a leaver's changed, so it is reopened."""
    planted = build_company(session)
    analyze(session=session, settings=SETTINGS, today=TODAY)
    key = next(k for k, v in planted.expected.items() if k.startswith("leaver_seat:")
               and v[0] == "carol@example.com")  # fmt: skip
    assert stored_finding(session, key).evidence["reason"] == "identity_provider_suspended"
    review.set_status(session=session, key=key, status="dismissed", by="ann", reason="sabbatical")
    idp_account = session.exec(
        select(Account).where(Account.email == "carol@example.com", Account.status == "suspended")
    ).one()
    idp_account.status = "deleted"
    session.add(idp_account)
    session.flush()
    summary = analyze(session=session, settings=SETTINGS, today=TODAY)
    row = stored_finding(session, key)
    assert row.evidence["reason"] == "identity_provider_deleted"
    assert row.status == "open" and summary.reopened == 1


def test_an_acknowledged_finding_reopens_when_its_facts_change(session: Session) -> None:
    planted = build_company(session)
    analyze(session=session, settings=SETTINGS, today=TODAY)
    key = planted_key(list(planted.expected), "overuse:")
    review.set_status(session=session, key=key, status="acknowledged", by="ann")
    product = session.get(Product, int(key.split(":")[1]))
    assert product is not None
    product.seats_consumed = (product.seats_consumed or 0) + 3
    session.add(product)
    session.flush()
    summary = analyze(session=session, settings=SETTINGS, today=TODAY)
    row = stored_finding(session, key)
    assert row.status == "open" and summary.reopened == 1
    assert "facts changed (was acknowledged)" in (row.status_reason or "")


def test_a_dismissal_outlives_a_past_run_followed_by_a_run_on_a_later_day(
    session: Session,
) -> None:
    """Dismissed today; an ``--as-of`` in the past resolves it; tomorrow's run produces
    it again, one day more idle (``days_inactive`` is not a material fact): it stays
    dismissed, since nothing material changed (issue 5)."""
    planted = build_company(session)
    analyze(session=session, settings=SETTINGS, today=TODAY)
    key = planted_key(list(planted.expected), "unused_seat:")
    review.set_status(session=session, key=key, status="dismissed", by="ann", reason="on leave")
    analyze(session=session, settings=SETTINGS, today=TODAY.replace(year=TODAY.year - 3))
    analyze(session=session, settings=SETTINGS, today=TODAY + timedelta(days=1))
    row = stored_finding(session, key)
    assert row.evidence["days_inactive"] == 121  # one day more than when it was dismissed
    assert (row.status, row.status_by, row.status_reason) == ("dismissed", "ann", "on leave")


def test_a_dismissed_idle_seat_whose_holder_was_active_in_between_comes_back_open(
    session: Session,
) -> None:
    """Dismissed; the holder works again (resolved); later idle again with a newer
    ``last_active_at``: a new story, so the finding is open again."""
    planted = build_company(session)
    analyze(session=session, settings=SETTINGS, today=TODAY)
    key = planted_key(list(planted.expected), "unused_seat:")
    review.set_status(session=session, key=key, status="dismissed", by="ann", reason="on leave")
    account = session.get(Account, int(key.split(":")[1]))
    assert account is not None
    account.last_active_at = days_ago(2)
    session.add(account)
    session.flush()
    analyze(session=session, settings=SETTINGS, today=TODAY)
    assert stored_finding(session, key).status == "resolved"
    later = TODAY + timedelta(days=100)  # 102 days idle, the same contract prices it
    analyze(session=session, settings=SETTINGS, today=later)
    assert stored_finding(session, key).status == "open"
