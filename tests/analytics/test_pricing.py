"""The seat-cost rule, exact to the cent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from analytics.pricing import (
    PricingError,
    monthly_seat_cost,
    price_products,
    round_cents,
    to_decimal,
)
from tests.analytics.company import TODAY, Company


def test_round_cents_rounds_half_up() -> None:
    assert round_cents(Decimal("10.005")) == Decimal("10.01")
    assert round_cents(Decimal("10.004999")) == Decimal("10.00")
    assert round_cents(Decimal("0.125")) == Decimal("0.13")


def test_annual_unit_price_of_100_costs_8_33_a_month() -> None:
    cost = monthly_seat_cost(unit_price=100, total_cost=None, seats=None, billing_cycle="annual")
    assert cost is not None
    assert round_cents(cost) == Decimal("8.33")


def test_contract_without_unit_price_divides_total_by_seats_and_months() -> None:
    cost = monthly_seat_cost(
        unit_price=None, total_cost=Decimal("1000"), seats=3, billing_cycle="annual"
    )
    assert cost is not None
    assert round_cents(cost) == Decimal("27.78")


@pytest.mark.parametrize(
    ("cycle", "expected"),
    [
        ("monthly", "120.00"),
        ("quarterly", "40.00"),
        ("annual", "10.00"),
        ("biennial", "5.00"),
        ("triennial", "3.33"),
        ("Annual", "10.00"),
    ],
)
def test_billing_cycle_sets_the_months_a_unit_price_covers(cycle: str, expected: str) -> None:
    cost = monthly_seat_cost(unit_price="120", total_cost=None, seats=None, billing_cycle=cycle)
    assert cost is not None
    assert round_cents(cost) == Decimal(expected)


def test_unknown_billing_cycle_is_a_clear_error() -> None:
    with pytest.raises(PricingError, match="unknown billing_cycle 'weekly'"):
        monthly_seat_cost(unit_price=1, total_cost=None, seats=None, billing_cycle="weekly")


def test_non_numeric_money_is_a_clear_error() -> None:
    with pytest.raises(PricingError, match="money value must be a number, got 'abc'"):
        to_decimal("abc")


def test_float_money_is_read_through_its_decimal_text() -> None:
    assert to_decimal(0.1) == Decimal("0.1")
    assert to_decimal(float("nan")) is None
    assert to_decimal("") is None


def test_contract_without_any_price_is_not_derivable() -> None:
    assert (
        monthly_seat_cost(unit_price=None, total_cost=None, seats=10, billing_cycle="annual")
        is None
    )
    assert (
        monthly_seat_cost(unit_price=None, total_cost=Decimal(100), seats=0, billing_cycle="annual")
        is None
    )


def test_active_contract_prices_the_product_over_the_list_price(company: Company) -> None:
    app = company.app("Slack")
    product = company.product(app, list_price="15.00")
    company.contract(application_id=app, product_id=product, unit_price=120, currency="EUR")
    frames = company.frames()
    price = price_products(frames.products, frames.subscriptions, TODAY)[product]
    assert price.price_source == "contract"
    assert price.currency == "EUR"
    assert price.savings(1) == Decimal("10.00")
    assert price.contract_number == "C-001"


def test_of_several_active_contracts_the_most_recent_start_prices(company: Company) -> None:
    app = company.app("Zoom")
    product = company.product(app)
    company.contract(application_id=app, product_id=product, unit_price=120, start=date(2026, 1, 1))
    company.contract(
        application_id=app, product_id=product, unit_price=240, start=date(2026, 6, 1), number="NEW"
    )
    company.contract(
        application_id=app, product_id=product, unit_price=999, start=date(2027, 1, 1)
    )  # not started yet
    company.contract(
        application_id=app,
        product_id=product,
        unit_price=999,
        start=date(2025, 1, 1),
        end=date(2025, 12, 31),
    )  # ended
    frames = company.frames()
    price = price_products(frames.products, frames.subscriptions, TODAY)[product]
    assert price.contract_number == "NEW"
    assert price.savings(1) == Decimal("20.00")


def test_contract_active_on_its_first_and_last_day(company: Company) -> None:
    app = company.app("Zoom")
    first = company.product(app, "A")
    last = company.product(app, "B")
    company.contract(application_id=app, product_id=first, unit_price=12, start=TODAY, end=None)
    company.contract(
        application_id=app, product_id=last, unit_price=24, start=date(2025, 11, 26), end=TODAY
    )
    frames = company.frames()
    prices = price_products(frames.products, frames.subscriptions, TODAY)
    assert prices[first].savings(1) == Decimal("1.00")
    assert prices[last].savings(1) == Decimal("2.00")


def test_without_contract_the_list_price_is_used(company: Company) -> None:
    app = company.app("Notion")
    product = company.product(app, list_price=Decimal("8.50"), list_currency="GBP")
    frames = company.frames()
    price = price_products(frames.products, frames.subscriptions, TODAY)[product]
    assert price.price_source == "list_price"
    assert price.currency == "GBP"
    assert price.savings(3) == Decimal("25.50")


def test_without_any_price_the_cost_is_unknown_but_paid(company: Company) -> None:
    app = company.app("Obscure")
    product = company.product(app, list_price=None)
    frames = company.frames()
    price = price_products(frames.products, frames.subscriptions, TODAY)[product]
    assert price.cost is None
    assert price.savings(1) is None
    assert price.paid
    assert price.price_source is None


def test_free_sku_is_never_paid(company: Company) -> None:
    app = company.app("Microsoft 365", is_suite=True)
    free = company.product(app, "FLOW_FREE", is_free=True, list_price=None)
    zero = company.product(app, "TEAMS_EXPLORATORY", list_price="0")
    frames = company.frames()
    prices = price_products(frames.products, frames.subscriptions, TODAY)
    assert not prices[free].paid
    assert not prices[zero].paid


def test_application_level_contract_prices_a_single_product_application(company: Company) -> None:
    slack = company.app("Slack")
    only = company.product(slack, "Business+", list_price="99")
    m365 = company.app("Microsoft 365", is_suite=True)
    e3 = company.product(m365, "E3", list_price="36")
    company.product(m365, "E5", list_price="57")
    company.contract(application_id=slack, unit_price=150)
    company.contract(application_id=m365, unit_price=999)
    frames = company.frames()
    prices = price_products(frames.products, frames.subscriptions, TODAY)
    assert prices[only].price_source == "contract"
    assert prices[only].savings(1) == Decimal("12.50")
    assert prices[e3].price_source == "list_price"


def test_contract_without_a_usable_price_falls_back_to_the_list_price(company: Company) -> None:
    app = company.app("Miro")
    product = company.product(app, list_price="10")
    company.contract(application_id=app, product_id=product)
    frames = company.frames()
    price = price_products(frames.products, frames.subscriptions, TODAY)[product]
    assert price.price_source == "list_price"
    assert price.savings(1) == Decimal("10.00")


def test_contract_naming_a_product_not_in_the_inventory_prices_nothing(company: Company) -> None:
    # Slack's only product is Business+; a contract for Enterprise Grid (not synced) is
    # not the price of Business+ seats.
    slack = company.app("Slack")
    only = company.product(slack, "Business+", list_price="12.50")
    company.contract(application_id=slack, product_ref="Enterprise Grid", unit_price=900)
    frames = company.frames()
    prices = price_products(frames.products, frames.subscriptions, TODAY)
    assert prices[only].price_source == "list_price"
    assert prices[only].savings(1) == Decimal("12.50")
