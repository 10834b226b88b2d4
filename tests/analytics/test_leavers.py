"""leaver_seat and guest_paid_seat."""

from __future__ import annotations

from decimal import Decimal

import pytest

from analytics.leavers import find_guest_paid_seats, find_leaver_seats
from analytics.model import Policy
from tests.analytics.company import TODAY, Company, days_ago


@pytest.fixture
def paid(company: Company) -> int:
    app = company.app("Slack")
    return company.product(app, "PRO", list_price="8.75")


@pytest.mark.parametrize("status", ["suspended", "deleted"])
def test_leaver_seat_flagged_for_suspended_or_deleted_account(
    company: Company, paid: int, status: str
) -> None:
    account = company.account("gone@example.com", status=status, last_active_at=days_ago(1))
    company.assign(account, paid)
    [finding] = find_leaver_seats(company.frames(), Policy(), TODAY)
    assert finding.key == f"leaver_seat:{account}:{paid}"
    assert finding.monthly_savings == Decimal("8.75")
    assert finding.severity == "high"
    assert finding.evidence["reason"] == f"account_{status}"


@pytest.mark.parametrize("idp_status", ["suspended", "deleted"])
def test_leaver_seat_flagged_when_the_identity_provider_account_left(
    company: Company, paid: int, idp_status: str
) -> None:
    company.person("left@example.com", idp_status=idp_status)
    account = company.account("left@example.com", last_active_at=days_ago(1))
    company.assign(account, paid)
    [finding] = find_leaver_seats(company.frames(), Policy(), TODAY)
    assert finding.severity == "critical"  # the account still works
    assert finding.evidence["idp_status"] == idp_status
    assert finding.evidence["reason"] == f"identity_provider_{idp_status}"


def test_leaver_seat_not_flagged_for_people_without_idp_account(
    company: Company, paid: int
) -> None:
    company.person("contractor@example.com", idp_status=None)
    company.assign(company.account("contractor@example.com", last_active_at=days_ago(1)), paid)
    assert find_leaver_seats(company.frames(), Policy(), TODAY) == []


def test_leaver_seat_not_flagged_on_free_sku(company: Company) -> None:
    app = company.app("Microsoft 365", is_suite=True)
    free = company.product(app, "FREE", is_free=True)
    company.assign(company.account("gone@example.com", status="deleted"), free)
    assert find_leaver_seats(company.frames(), Policy(), TODAY) == []


def test_guest_paid_seat_flagged(company: Company, paid: int) -> None:
    account = company.account("guest@partner.com", is_guest=True, last_active_at=days_ago(1))
    company.assign(account, paid)
    [finding] = find_guest_paid_seats(company.frames(), Policy(), TODAY)
    assert finding.key == f"guest_paid_seat:{account}:{paid}"
    assert finding.subject == "guest@partner.com"
    assert finding.monthly_savings == Decimal("8.75")


def test_guest_who_is_also_a_leaver_is_one_leaver_seat(company: Company, paid: int) -> None:
    account = company.account("guest@partner.com", is_guest=True, status="suspended")
    company.assign(account, paid)
    frames = company.frames()
    assert find_guest_paid_seats(frames, Policy(), TODAY) == []
    [finding] = find_leaver_seats(frames, Policy(), TODAY)
    assert finding.evidence["is_guest"] is True


def test_guest_on_free_sku_is_not_flagged(company: Company) -> None:
    app = company.app("Slack")
    free = company.product(app, "FREE", list_price="0")
    company.assign(company.account("guest@partner.com", is_guest=True), free)
    assert find_guest_paid_seats(company.frames(), Policy(), TODAY) == []
