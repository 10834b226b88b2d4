"""unused_seat and never_used_seat: thresholds, nulls, free SKUs, overrides."""

from __future__ import annotations

from decimal import Decimal

from analytics.model import ApplicationPolicy, Policy
from analytics.unused import find_never_used_seats, find_unused_seats
from tests.analytics.company import TODAY, Company, days_ago


def _paid_app(company: Company, price: str = "12.50") -> tuple[int, int]:
    app = company.app("Zoom")
    return app, company.product(app, "PRO", list_price=price)


def test_unused_seat_flagged_after_91_days_inactive(company: Company) -> None:
    _, product = _paid_app(company)
    account = company.account("idle@example.com", last_active_at=days_ago(91))
    company.assign(account, product)
    [finding] = find_unused_seats(company.frames(), Policy(), TODAY)
    assert finding.key == f"unused_seat:{account}:{product}"
    assert finding.kind == "unused_seat"
    assert finding.subject == "idle@example.com"
    assert finding.monthly_savings == Decimal("12.50")
    assert finding.currency == "USD"
    assert finding.evidence["days_inactive"] == 91
    assert finding.evidence["inactive_days_threshold"] == 90
    assert finding.evidence["monthly_seat_cost"] == "12.50"
    assert finding.evidence["price_source"] == "list_price"
    assert finding.evidence["last_active_at"] == days_ago(91).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_unused_seat_not_flagged_at_exactly_90_days_inactive(company: Company) -> None:
    _, product = _paid_app(company)
    company.assign(company.account("edge@example.com", last_active_at=days_ago(90)), product)
    assert find_unused_seats(company.frames(), Policy(), TODAY) == []


def test_unused_seat_compares_calendar_days_not_hours(company: Company) -> None:
    _, product = _paid_app(company)
    # 23:59 UTC on the 91st day before today is still 91 calendar days ago.
    late = days_ago(91).replace(hour=23, minute=59)
    company.assign(company.account("late@example.com", last_active_at=late), product)
    [finding] = find_unused_seats(company.frames(), Policy(), TODAY)
    assert finding.evidence["days_inactive"] == 91


def test_unused_seat_ignores_free_skus(company: Company) -> None:
    app = company.app("Microsoft 365", is_suite=True)
    free = company.product(app, "FLOW_FREE", is_free=True)
    zero = company.product(app, "EXPLORATORY", list_price="0.00")
    account = company.account("idle@example.com", last_active_at=days_ago(300))
    company.assign(account, free)
    company.assign(account, zero)
    assert find_unused_seats(company.frames(), Policy(), TODAY) == []


def test_unused_seat_with_no_price_at_all_has_null_savings(company: Company) -> None:
    app = company.app("Obscure")
    product = company.product(app, list_price=None)
    company.assign(company.account("idle@example.com", last_active_at=days_ago(200)), product)
    [finding] = find_unused_seats(company.frames(), Policy(), TODAY)
    assert finding.monthly_savings is None
    assert finding.currency is None
    assert finding.evidence["price_source"] is None


def test_unused_seat_skips_guests_suspended_and_leavers(company: Company) -> None:
    _, product = _paid_app(company)
    company.assign(
        company.account("guest@example.com", is_guest=True, last_active_at=days_ago(200)), product
    )
    company.assign(
        company.account("gone@example.com", status="suspended", last_active_at=days_ago(200)),
        product,
    )
    company.person("left@example.com", idp_status="deleted")
    company.assign(company.account("left@example.com", last_active_at=days_ago(200)), product)
    assert find_unused_seats(company.frames(), Policy(), TODAY) == []


def test_unused_seat_uses_the_contract_price(company: Company) -> None:
    app, product = _paid_app(company)
    company.contract(application_id=app, product_id=product, unit_price=100, number="ZM-1")
    company.assign(company.account("idle@example.com", last_active_at=days_ago(120)), product)
    [finding] = find_unused_seats(company.frames(), Policy(), TODAY)
    assert finding.monthly_savings == Decimal("8.33")
    assert finding.evidence["price_source"] == "contract"
    assert finding.evidence["contract_number"] == "ZM-1"


def test_unused_seat_threshold_can_be_overridden_per_application(company: Company) -> None:
    app, product = _paid_app(company)
    other = company.app("Miro")
    other_product = company.product(other, list_price="5")
    account = company.account("idle@example.com", last_active_at=days_ago(40))
    company.assign(account, product)
    company.assign(account, other_product)
    policy = Policy(per_application={app: ApplicationPolicy(inactive_days=30)})
    [finding] = find_unused_seats(company.frames(), policy, TODAY)
    assert finding.product_id == product
    assert finding.evidence["inactive_days_threshold"] == 30


def test_unused_seat_severity_rises_after_twice_the_threshold(company: Company) -> None:
    _, product = _paid_app(company)
    company.assign(company.account("a@example.com", last_active_at=days_ago(180)), product)
    company.assign(company.account("b@example.com", last_active_at=days_ago(181)), product)
    found = {f.subject: f.severity for f in find_unused_seats(company.frames(), Policy(), TODAY)}
    assert found == {"a@example.com": "medium", "b@example.com": "high"}


def test_never_used_seat_flagged_31_days_after_creation(company: Company) -> None:
    _, product = _paid_app(company)
    account = company.account("new@example.com", created_at=days_ago(31))
    company.assign(account, product)
    [finding] = find_never_used_seats(company.frames(), Policy(), TODAY)
    assert finding.key == f"never_used_seat:{account}:{product}"
    assert finding.monthly_savings == Decimal("12.50")
    assert finding.evidence["days_since_created"] == 31
    assert finding.evidence["created_date_source"] == "created_at"
    assert finding.evidence["last_active_at"] is None


def test_never_used_seat_not_flagged_at_exactly_30_days(company: Company) -> None:
    _, product = _paid_app(company)
    company.assign(company.account("new@example.com", created_at=days_ago(30)), product)
    assert find_never_used_seats(company.frames(), Policy(), TODAY) == []


def test_never_used_seat_needs_the_source_to_report_activity(company: Company) -> None:
    _, product = _paid_app(company)
    company.assign(company.account("quiet@example.com", activity_known=False), product)
    assert find_never_used_seats(company.frames(), Policy(), TODAY) == []
    assert find_unused_seats(company.frames(), Policy(), TODAY) == []


def test_never_used_seat_falls_back_to_first_seen_without_creation_date(
    company: Company,
) -> None:
    _, product = _paid_app(company)
    account = company.account("new@example.com", first_seen_at=days_ago(45))
    company.rows["accounts"][-1]["created_at"] = None
    company.assign(account, product)
    [finding] = find_never_used_seats(company.frames(), Policy(), TODAY)
    assert finding.evidence["created_date_source"] == "first_seen_at"
    assert finding.evidence["days_since_created"] == 45


def test_never_used_seat_is_not_an_unused_seat(company: Company) -> None:
    _, product = _paid_app(company)
    company.assign(company.account("new@example.com", created_at=days_ago(400)), product)
    assert find_unused_seats(company.frames(), Policy(), TODAY) == []
    assert len(find_never_used_seats(company.frames(), Policy(), TODAY)) == 1


def test_never_used_grace_can_be_overridden_per_application(company: Company) -> None:
    app, product = _paid_app(company)
    company.assign(company.account("new@example.com", created_at=days_ago(10)), product)
    policy = Policy(per_application={app: ApplicationPolicy(never_used_grace_days=7)})
    [finding] = find_never_used_seats(company.frames(), policy, TODAY)
    assert finding.evidence["grace_days_threshold"] == 7


def test_removed_accounts_are_left_out(company: Company) -> None:
    _, product = _paid_app(company)
    company.assign(
        company.account("old@example.com", last_active_at=days_ago(300), removed=True), product
    )
    assert find_unused_seats(company.frames(), Policy(), TODAY) == []


def test_repeated_assignment_rows_make_one_seat(company: Company) -> None:
    _, product = _paid_app(company)
    account = company.account("idle@example.com", last_active_at=days_ago(120))
    company.assign(account, product)
    company.assign(account, product)
    company.assign(999, product)  # unknown account: ignored
    assert len(find_unused_seats(company.frames(), Policy(), TODAY)) == 1
