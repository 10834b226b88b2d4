"""overuse and unassigned_seats."""

from __future__ import annotations

from decimal import Decimal

from analytics.model import Policy
from analytics.overuse import find_seat_count_issues
from tests.analytics.company import TODAY, Company, days_ago


def test_overuse_reports_excess_seats_and_monthly_exposure(company: Company) -> None:
    app = company.app("Figma")
    product = company.product(app, "ORG", seats_purchased=10, seats_consumed=12)
    company.contract(application_id=app, product_id=product, unit_price=100)
    [finding] = find_seat_count_issues(company.frames(), Policy(), TODAY)
    assert finding.key == f"overuse:{product}"
    assert finding.kind == "overuse"
    assert finding.monthly_savings == Decimal("0.00")
    assert finding.evidence["excess_seats"] == 2
    assert finding.evidence["monthly_exposure"] == "16.67"  # 2 x 100/12, rounded once


def test_overuse_counts_assignments_when_larger_than_consumed(company: Company) -> None:
    app = company.app("Figma")
    product = company.product(app, "ORG", list_price="10", seats_purchased=1, seats_consumed=1)
    for n in range(3):
        company.assign(company.account(f"u{n}@example.com", last_active_at=days_ago(1)), product)
    [finding] = find_seat_count_issues(company.frames(), Policy(), TODAY)
    assert finding.evidence["seats_assigned"] == 3
    assert finding.evidence["excess_seats"] == 2
    assert finding.evidence["monthly_exposure"] == "20.00"


def test_unassigned_seats_save_the_difference(company: Company) -> None:
    app = company.app("Figma")
    product = company.product(app, "ORG", seats_purchased=10, seats_consumed=7)
    company.contract(application_id=app, product_id=product, unit_price=100)
    [finding] = find_seat_count_issues(company.frames(), Policy(), TODAY)
    assert finding.key == f"unassigned_seats:{product}"
    assert finding.evidence["unassigned_seats"] == 3
    assert finding.monthly_savings == Decimal("25.00")  # 3 x 8.333..., not 3 x 8.33


def test_unassigned_seats_not_flagged_on_free_product(company: Company) -> None:
    app = company.app("Figma")
    company.product(app, "STARTER", list_price="0", seats_purchased=10, seats_consumed=1)
    assert find_seat_count_issues(company.frames(), Policy(), TODAY) == []


def test_no_seat_count_finding_without_seats_purchased(company: Company) -> None:
    app = company.app("Slack")
    company.product(app, "PRO", list_price="8", seats_purchased=None, seats_consumed=50)
    assert find_seat_count_issues(company.frames(), Policy(), TODAY) == []


def test_balanced_product_has_no_finding(company: Company) -> None:
    app = company.app("Slack")
    company.product(app, "PRO", list_price="8", seats_purchased=5, seats_consumed=5)
    assert find_seat_count_issues(company.frames(), Policy(), TODAY) == []


def test_unassigned_seats_without_price_have_null_savings(company: Company) -> None:
    app = company.app("Obscure")
    company.product(app, "X", seats_purchased=5, seats_consumed=2)
    [finding] = find_seat_count_issues(company.frames(), Policy(), TODAY)
    assert finding.monthly_savings is None


def test_half_cent_savings_of_several_seats_round_up_exactly(company: Company) -> None:
    # 3 x 12.10 / 12 = 3.025 exactly → 3.03; a 28-digit Decimal seat cost (1.00833…3)
    # times 3 is 3.0249…9 and would round down to 3.02.
    app = company.app("Trello")
    product = company.product(app, "STD", seats_purchased=5, seats_consumed=2)
    company.contract(application_id=app, product_id=product, unit_price="12.10")
    [finding] = find_seat_count_issues(company.frames(), Policy(), TODAY)
    assert finding.monthly_savings == Decimal("3.03")


def test_half_cent_exposure_of_several_seats_rounds_up_exactly(company: Company) -> None:
    # 3 excess seats at 1.30 a year: 3.90 / 12 = 0.325 exactly → 0.33 (Decimal: 0.32).
    app = company.app("Trello")
    product = company.product(app, "STD", seats_purchased=1, seats_consumed=4)
    company.contract(application_id=app, product_id=product, unit_price="1.30")
    [finding] = find_seat_count_issues(company.frames(), Policy(), TODAY)
    assert finding.evidence["monthly_exposure"] == "0.33"  # 3 x 1.30 / 12 = 0.325
