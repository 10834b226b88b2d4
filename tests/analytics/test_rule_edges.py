"""Rule edges the other analytics tests leave open, each pinned to issue 5's wording.

Every expected figure is worked out by hand from the issue's rules; none is computed by
calling the code under test. Each test names the wrong behaviour it guards against.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from analytics.model import Policy
from analytics.overlap import find_overlaps
from analytics.pricing import price_products, round_cents
from analytics.renewals import find_duplicate_subscriptions, find_renewals
from analytics.trials import find_trials_ending
from tests.analytics.company import TODAY, Company, days_ago


def _in(days: int) -> date:
    return TODAY + timedelta(days=days)


def test_notice_missed_on_the_renewal_day_itself(company: Company) -> None:
    """Renewing today with the notice deadline 30 days gone: the deadline was missed
    ("a passed deadline, with the renewal date still ahead" — today is not behind us)."""
    app = company.app("Slack")
    company.contract(application_id=app, renewal=TODAY, auto_renew=True, notice_days=30)
    kinds = {f.kind for f in find_renewals(company.frames(), Policy(), TODAY)}
    assert kinds == {"renewal_due", "notice_missed"}


def test_contracts_sharing_a_single_day_are_duplicates(company: Company) -> None:
    """The old contract ends today and the new one starts today: both are active today,
    for the same product, with overlapping terms (one day)."""
    app = company.app("Slack")
    product = company.product(app)
    company.contract(application_id=app, product_id=product, number="NEW", start=TODAY,
                     end=date(2027, 11, 24))  # fmt: skip
    company.contract(application_id=app, product_id=product, number="OLD",
                     start=date(2025, 11, 26), end=TODAY)  # fmt: skip
    [finding] = find_duplicate_subscriptions(company.frames(), Policy(), TODAY)
    assert finding.key == "duplicate_subscription:1:2"
    assert finding.subject == "NEW"


def test_a_trial_ends_on_its_end_date_not_its_later_renewal_date(company: Company) -> None:
    """A trial ending in 5 days that would renew in 60 ends within 14 days."""
    app = company.app("Miro")
    company.contract(application_id=app, end=_in(5), renewal=_in(60), is_trial=True)
    [finding] = find_trials_ending(company.frames(), Policy(), TODAY)
    assert finding.evidence["days_left"] == 5
    assert finding.evidence["trial_end_source"] == "end_date"


def test_of_contracts_starting_the_same_day_the_later_one_entered_prices(
    company: Company,
) -> None:
    """Same start: the tie goes to the higher subscription id (the later entry), so the
    price is deterministic whatever order the database returns rows in."""
    app = company.app("Zoom")
    product = company.product(app)
    company.contract(application_id=app, product_id=product, unit_price=120, number="FIRST")
    company.contract(application_id=app, product_id=product, unit_price=360, number="SECOND")
    frames = company.frames()
    shuffled = frames.subscriptions.iloc[::-1].reset_index(drop=True)
    price = price_products(frames.products, shuffled, TODAY)[product]
    assert price.contract_number == "SECOND"
    assert price.savings(1) == Decimal("30.00")  # 360 a year / 12


def test_a_contract_with_both_prices_is_priced_by_its_unit_price(company: Company) -> None:
    """The rule reads ``total_cost`` only "if ``unit_price`` is empty": 120 a seat a year
    is 10.00 a month, whatever the 2,400 total for 10 seats says (20.00)."""
    app = company.app("Zoom")
    product = company.product(app)
    company.contract(application_id=app, product_id=product, unit_price=120,
                     total_cost=2400, seats=10)  # fmt: skip
    frames = company.frames()
    price = price_products(frames.products, frames.subscriptions, TODAY)[product]
    assert price.savings(1) == Decimal("10.00")


def test_overlap_leaves_out_never_used_and_guest_seats_already_flagged(company: Company) -> None:
    """A never-used seat and a guest's seat are each already a seat finding's saving: the
    overlap saves only the third person's Slack seat (8.75), never one seat twice."""
    suite = company.app("Microsoft 365", is_suite=True, capabilities="email|team_chat")
    e3 = company.product(suite, "E3", list_price="36.00")
    slack = company.app("Slack", capabilities="team_chat")
    slack_pro = company.product(slack, "PRO", list_price="8.75")
    for email, extra in [
        ("a@example.com", {"last_active_at": days_ago(1)}),
        ("new@example.com", {"last_active_at": None}),
        ("guest@example.com", {"last_active_at": days_ago(1), "is_guest": True}),
    ]:
        account = company.account(email, **extra)  # type: ignore[arg-type]
        company.assign(account, e3)
        company.assign(account, slack_pro)
    found = {f.key: f for f in find_overlaps(company.frames(), Policy(), TODAY)}
    finding = found[f"overlap:{slack}"]
    assert finding.monthly_savings == Decimal("8.75")
    assert finding.evidence["seats_left_out_already_flagged"] == 2


def test_a_seat_saved_by_one_standalone_pair_is_not_saved_again_by_a_later_pair(
    company: Company,
) -> None:
    """One person pays for Zoom (15), Webex (12) and Whereby (10), all video meetings.
    Zoom+Webex saves Webex's 12.00, Zoom+Whereby saves Whereby's 10.00; Webex+Whereby
    then has nothing left to save (both seats counted): 22.00 in all, keeping Zoom."""
    products = []
    for name, price in [("Zoom", "15"), ("Webex", "12"), ("Whereby", "10")]:
        app = company.app(name, capabilities="video_meetings")
        products.append(company.product(app, "PRO", list_price=price))
    account = company.account("p@example.com", last_active_at=days_ago(1))
    for product in products:
        company.assign(account, product)
    savings = {f.key: f.monthly_savings for f in find_overlaps(company.frames(), Policy(), TODAY)}
    assert savings == {
        "overlap:1:2": Decimal("12.00"),
        "overlap:1:3": Decimal("10.00"),
        "overlap:2:3": Decimal("0.00"),
    }


def test_exact_half_cent_credits_round_away_from_zero_like_decimal_half_up() -> None:
    """-10.005 exactly (a Fraction) rounds to -10.01, as ``ROUND_HALF_UP`` does for a
    Decimal: a credit's sign must survive the exact path."""
    assert round_cents(Fraction(-2001, 200)) == Decimal("-10.01")
    assert round_cents(Decimal("-10.005")) == Decimal("-10.01")
