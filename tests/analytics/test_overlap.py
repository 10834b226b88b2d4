"""overlap (standalone vs suite, standalone pairs) and suite_overlap."""

from __future__ import annotations

from decimal import Decimal

import pytest

from analytics.model import Finding, Policy
from analytics.overlap import find_overlaps
from tests.analytics.company import TODAY, Company, days_ago

SUITE_CAPS = "email|team_chat|video_meetings|documents"


class Office:
    """Microsoft 365 (E3 has team chat; Exchange-only does not), Slack and Zoom."""

    def __init__(self, company: Company) -> None:
        self.company = company
        self.m365 = company.app("Microsoft 365", is_suite=True, capabilities=SUITE_CAPS)
        self.e3 = company.product(self.m365, "E3", list_price="36.00")
        self.exchange = company.product(
            self.m365, "EXCHANGE", list_price="4.00", capabilities="email"
        )
        self.slack = company.app("Slack", capabilities="team_chat")
        self.slack_pro = company.product(self.slack, "PRO", list_price="8.75")
        self.zoom = company.app("Zoom", capabilities="video_meetings")
        self.zoom_pro = company.product(self.zoom, "PRO", list_price="13.33")

    def person(self, email: str, *products: int, **account: object) -> int:
        account.setdefault("last_active_at", days_ago(1))
        account_id = self.company.account(email, **account)  # type: ignore[arg-type]
        for product in products:
            self.company.assign(account_id, product)
        return account_id


@pytest.fixture
def office(company: Company) -> Office:
    return Office(company)


def _by_key(findings: list[Finding]) -> dict[str, Finding]:
    return {f.key: f for f in findings}


def test_overlap_flags_standalone_app_held_with_a_suite_seat(office: Office) -> None:
    office.person("a@example.com", office.e3, office.slack_pro)
    office.person("b@example.com", office.e3, office.slack_pro)
    office.person("c@example.com", office.slack_pro)  # Slack only
    office.person("d@example.com", office.e3)  # suite only
    found = _by_key(find_overlaps(office.company.frames(), Policy(), TODAY))
    finding = found[f"overlap:{office.slack}"]
    assert finding.kind == "overlap"
    assert finding.subject == "Slack"
    assert finding.monthly_savings == Decimal("17.50")
    assert finding.evidence["shared_capabilities"] == ["team_chat"]
    assert finding.evidence["suites"] == [
        {"application_id": office.m365, "name": "Microsoft 365", "people": 3}
    ]
    assert finding.evidence["people_using_application"] == 3
    assert finding.evidence["people_using_suites"] == 3
    assert finding.evidence["people_using_both"] == 2
    assert finding.evidence["people_using_both_emails"] == ["a@example.com", "b@example.com"]


def test_overlap_matches_people_across_sources(office: Office) -> None:
    person = office.company.person("a@example.com")
    office.person("a@example.com", office.e3, person_id=person)
    office.person("a@example.com", office.slack_pro, person_id=person)
    found = _by_key(find_overlaps(office.company.frames(), Policy(), TODAY))
    assert found[f"overlap:{office.slack}"].monthly_savings == Decimal("8.75")


def test_overlap_uses_the_suite_seat_capabilities(office: Office) -> None:
    office.person("a@example.com", office.exchange, office.slack_pro)  # e-mail only suite seat
    assert find_overlaps(office.company.frames(), Policy(), TODAY) == []


def test_overlap_needs_a_paid_standalone_seat(company: Company) -> None:
    m365 = company.app("Microsoft 365", is_suite=True, capabilities=SUITE_CAPS)
    e3 = company.product(m365, "E3", list_price="36")
    slack = company.app("Slack", capabilities="team_chat")
    free = company.product(slack, "FREE", list_price="0")
    account = company.account("a@example.com", last_active_at=days_ago(1))
    company.assign(account, e3)
    company.assign(account, free)
    assert find_overlaps(company.frames(), Policy(), TODAY) == []


def test_overlap_savings_leave_out_seats_flagged_by_seat_findings(office: Office) -> None:
    office.person("a@example.com", office.e3, office.slack_pro)
    office.person("idle@example.com", office.e3, office.slack_pro, last_active_at=days_ago(200))
    office.person("gone@example.com", office.e3, office.slack_pro, status="suspended")
    found = _by_key(find_overlaps(office.company.frames(), Policy(), TODAY))
    finding = found[f"overlap:{office.slack}"]
    assert finding.monthly_savings == Decimal("8.75")
    assert finding.evidence["people_using_both"] == 3
    assert finding.evidence["seats_counted"] == 1
    assert finding.evidence["seats_left_out_already_flagged"] == 2


def test_overlap_between_two_standalone_apps_saves_the_smaller_apps_seats(
    company: Company,
) -> None:
    zoom = company.app("Zoom", capabilities="video_meetings")
    zoom_pro = company.product(zoom, "PRO", list_price="15")
    webex = company.app("Webex", capabilities="video_meetings|webinars")
    webex_pro = company.product(webex, "PRO", list_price="12")
    for n in range(3):
        account = company.account(f"z{n}@example.com", last_active_at=days_ago(1))
        company.assign(account, zoom_pro)
    both = company.account("both@example.com", last_active_at=days_ago(1))
    company.assign(both, zoom_pro)
    company.assign(both, webex_pro)
    [finding] = find_overlaps(company.frames(), Policy(), TODAY)
    assert finding.key == f"overlap:{zoom}:{webex}"
    assert finding.application_id == webex  # fewer people
    assert finding.monthly_savings == Decimal("12.00")
    assert finding.evidence["shared_capabilities"] == ["video_meetings"]
    assert finding.evidence["people_using_both"] == 1


def test_standalone_pair_does_not_recount_seats_counted_against_a_suite(office: Office) -> None:
    teams_like = office.company.app("Chatter", capabilities="team_chat")
    chatter = office.company.product(teams_like, "STD", list_price="5")
    office.person("a@example.com", office.e3, office.slack_pro, chatter)
    found = _by_key(find_overlaps(office.company.frames(), Policy(), TODAY))
    suite_savings = (
        found[f"overlap:{office.slack}"].monthly_savings,
        found[f"overlap:{teams_like}"].monthly_savings,
    )
    assert suite_savings == (Decimal("8.75"), Decimal("5.00"))
    pair = found[f"overlap:{office.slack}:{teams_like}"]
    assert pair.monthly_savings == Decimal("0")
    # The evidence says why: the smaller app's one paid seat was counted already.
    assert pair.evidence["seats_counted"] == 0
    assert pair.evidence["seats_left_out_already_counted"] == 1
    assert pair.evidence["seats_left_out_already_flagged"] == 0


def test_suite_overlap_has_no_savings(company: Company) -> None:
    m365 = company.app("Microsoft 365", is_suite=True, capabilities=SUITE_CAPS)
    google = company.app("Google Workspace", is_suite=True, capabilities="email|documents")
    e3 = company.product(m365, "E3", list_price="36")
    business = company.product(google, "BUSINESS", list_price="12")
    company.assign(company.account("a@example.com", last_active_at=days_ago(1)), e3)
    company.assign(company.account("b@example.com", last_active_at=days_ago(1)), business)
    [finding] = find_overlaps(company.frames(), Policy(), TODAY)
    assert finding.key == f"suite_overlap:{m365}:{google}"
    assert finding.kind == "suite_overlap"
    assert finding.monthly_savings is None
    assert finding.evidence["shared_capabilities"] == ["documents", "email"]
    assert finding.evidence["people_using_both"] == 0


def test_overlap_savings_are_null_when_a_counted_seat_has_no_price(office: Office) -> None:
    unpriced = office.company.product(office.slack, "ENTERPRISE", list_price=None)
    office.person("a@example.com", office.e3, office.slack_pro)
    office.person("b@example.com", office.e3, unpriced)
    found = _by_key(find_overlaps(office.company.frames(), Policy(), TODAY))
    assert found[f"overlap:{office.slack}"].monthly_savings is None


def test_suite_overlap_counts_people_holding_both_suites(company: Company) -> None:
    m365 = company.app("Microsoft 365", is_suite=True, capabilities=SUITE_CAPS)
    google = company.app("Google Workspace", is_suite=True, capabilities="email|documents")
    e3 = company.product(m365, "E3", list_price="36")
    business = company.product(google, "BUSINESS", list_price="12")
    account = company.account("a@example.com", last_active_at=days_ago(1))
    company.assign(account, e3)
    company.assign(account, business)
    [finding] = find_overlaps(company.frames(), Policy(), TODAY)
    assert finding.evidence["people_using_both"] == 1
    assert finding.evidence["suites"][0]["people"] == 1


def test_accounts_without_a_person_never_overlap(company: Company) -> None:
    m365 = company.app("Microsoft 365", is_suite=True, capabilities=SUITE_CAPS)
    e3 = company.product(m365, "E3", list_price="36")
    slack = company.app("Slack", capabilities="team_chat")
    pro = company.product(slack, "PRO", list_price="8")
    account = company.account("a@example.com", with_person=False, last_active_at=days_ago(1))
    company.assign(account, e3)
    company.assign(account, pro)
    assert find_overlaps(company.frames(), Policy(), TODAY) == []


def test_overlap_whose_seats_are_all_flagged_saves_zero_in_the_apps_currency(
    office: Office,
) -> None:
    office.person("idle@example.com", office.e3, office.slack_pro, last_active_at=days_ago(200))
    found = _by_key(find_overlaps(office.company.frames(), Policy(), TODAY))
    finding = found[f"overlap:{office.slack}"]
    assert (finding.monthly_savings, finding.currency) == (Decimal("0.00"), "USD")
    assert finding.evidence["seats_counted"] == 0


def test_overlap_savings_of_several_seats_are_rounded_once_exactly(office: Office) -> None:
    # Slack priced by contract at 12.10 a year: 3 seats held with E3 cost 36.30 / 12 =
    # 3.025 exactly → 3.03 (3 x a 28-digit Decimal 1.00833…3 would give 3.02).
    office.company.contract(
        application_id=office.slack, product_id=office.slack_pro, unit_price="12.10"
    )
    for n in range(3):
        office.person(f"p{n}@example.com", office.e3, office.slack_pro)
    found = _by_key(find_overlaps(office.company.frames(), Policy(), TODAY))
    assert found[f"overlap:{office.slack}"].monthly_savings == Decimal("3.03")
