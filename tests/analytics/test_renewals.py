"""renewal_due, notice_deadline, notice_missed and duplicate_subscription."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from analytics.model import Policy
from analytics.renewals import find_duplicate_subscriptions, find_renewals
from tests.analytics.company import TODAY, Company


def _in(days: int) -> date:
    return TODAY + timedelta(days=days)


def _kinds(company: Company) -> dict[str, str]:
    return {f.kind: f.severity for f in find_renewals(company.frames(), Policy(), TODAY)}


@pytest.mark.parametrize(("days", "flagged"), [(-1, False), (0, True), (90, True), (91, False)])
def test_renewal_due_within_90_days(company: Company, days: int, flagged: bool) -> None:
    app = company.app("Slack")
    company.contract(application_id=app, renewal=_in(days), end=_in(days), number="SL-1")
    found = [f for f in find_renewals(company.frames(), Policy(), TODAY) if f.kind == "renewal_due"]
    assert bool(found) is flagged
    if found:
        assert found[0].subject == "SL-1"
        assert found[0].key == f"renewal_due:1:{_in(days).isoformat()}"
        assert found[0].evidence["days_until_renewal"] == days
        assert found[0].monthly_savings is None


def test_trials_are_not_renewals(company: Company) -> None:
    app = company.app("Slack")
    company.contract(application_id=app, renewal=_in(10), is_trial=True)
    assert "renewal_due" not in _kinds(company)


@pytest.mark.parametrize(
    ("deadline_in", "severity"),
    [(0, "high"), (7, "high"), (8, "medium"), (30, "medium"), (31, "low"), (60, "low")],
)
def test_notice_deadline_severity_rises_at_30_and_7_days(
    company: Company, deadline_in: int, severity: str
) -> None:
    app = company.app("Slack")
    company.contract(
        application_id=app, renewal=_in(deadline_in + 30), auto_renew=True, notice_days=30
    )
    [finding] = [
        f for f in find_renewals(company.frames(), Policy(), TODAY) if f.kind == "notice_deadline"
    ]
    assert finding.severity == severity
    assert finding.evidence["notice_deadline"] == _in(deadline_in).isoformat()
    assert finding.evidence["days_until_deadline"] == deadline_in


def test_notice_deadline_beyond_60_days_is_not_flagged(company: Company) -> None:
    app = company.app("Slack")
    company.contract(application_id=app, renewal=_in(91), auto_renew=True, notice_days=30)
    assert "notice_deadline" not in _kinds(company)


def test_notice_deadline_needs_auto_renewal(company: Company) -> None:
    app = company.app("Slack")
    company.contract(application_id=app, renewal=_in(40), auto_renew=False, notice_days=30)
    assert set(_kinds(company)) == {"renewal_due"}


def test_passed_deadline_with_renewal_ahead_is_notice_missed(company: Company) -> None:
    app = company.app("Slack")
    company.contract(application_id=app, renewal=_in(10), auto_renew=True, notice_days=30)
    kinds = _kinds(company)
    assert kinds["notice_missed"] == "high"
    assert "notice_deadline" not in kinds


def test_passed_renewal_is_neither_deadline_nor_missed(company: Company) -> None:
    app = company.app("Slack")
    company.contract(application_id=app, renewal=_in(-1), auto_renew=True, notice_days=30)
    assert _kinds(company) == {}


def test_null_notice_days_means_notice_until_the_renewal_day(company: Company) -> None:
    app = company.app("Slack")
    company.contract(application_id=app, renewal=_in(5), auto_renew=True, notice_days=None)
    [finding] = [
        f for f in find_renewals(company.frames(), Policy(), TODAY) if f.kind == "notice_deadline"
    ]
    assert finding.evidence["notice_days_applied"] == 0
    assert finding.evidence["days_until_deadline"] == 5


def test_duplicate_subscription_for_the_same_product(company: Company) -> None:
    app = company.app("Slack")
    product = company.product(app)
    company.contract(application_id=app, product_id=product, number="OLD", start=date(2026, 1, 1))
    company.contract(application_id=app, product_id=product, number="NEW", start=date(2026, 6, 1))
    [finding] = find_duplicate_subscriptions(company.frames(), Policy(), TODAY)
    assert finding.key == "duplicate_subscription:1:2"
    assert finding.subject == "NEW"
    assert finding.evidence["duplicates_contract"]["contract_number"] == "OLD"


def test_different_products_of_one_application_are_not_duplicates(company: Company) -> None:
    app = company.app("Microsoft 365", is_suite=True)
    e3 = company.product(app, "E3")
    e5 = company.product(app, "E5")
    company.contract(application_id=app, product_id=e3)
    company.contract(application_id=app, product_id=e5)
    assert find_duplicate_subscriptions(company.frames(), Policy(), TODAY) == []


def test_application_level_contracts_without_products_can_be_duplicates(
    company: Company,
) -> None:
    app = company.app("Slack")
    other = company.app("Zoom")
    company.contract(application_id=app)
    company.contract(application_id=app)
    company.contract(application_id=other)
    product = company.product(app)
    company.contract(application_id=app, product_id=product)  # names a product: not paired
    [finding] = find_duplicate_subscriptions(company.frames(), Policy(), TODAY)
    assert finding.key == "duplicate_subscription:1:2"


def test_expired_contract_is_not_a_duplicate(company: Company) -> None:
    app = company.app("Slack")
    product = company.product(app)
    company.contract(
        application_id=app, product_id=product, start=date(2025, 1, 1), end=date(2025, 12, 31)
    )
    company.contract(application_id=app, product_id=product, start=date(2026, 1, 1))
    assert find_duplicate_subscriptions(company.frames(), Policy(), TODAY) == []


def test_contracts_naming_products_the_inventory_lacks_are_not_application_duplicates(
    company: Company,
) -> None:
    # An E3 and an E5 contract imported before (or without) the products synced: each
    # names a product, so neither stands for Microsoft 365 as a whole.
    app = company.app("Microsoft 365", is_suite=True)
    company.contract(application_id=app, product_ref="SPE_E3")
    company.contract(application_id=app, product_ref="SPE_E5")
    assert find_duplicate_subscriptions(company.frames(), Policy(), TODAY) == []


def test_two_contracts_naming_the_same_missing_product_are_duplicates(company: Company) -> None:
    app = company.app("Microsoft 365", is_suite=True)
    company.contract(application_id=app, product_ref="SPE_E5")
    company.contract(application_id=app, product_ref="spe_e5")
    company.contract(application_id=app)  # names no product: not paired with them
    [finding] = find_duplicate_subscriptions(company.frames(), Policy(), TODAY)
    assert finding.key == "duplicate_subscription:1:2"
    assert finding.evidence["product_ref"] == "spe_e5"
