"""The seat-cost rule: what one seat of a product costs per month, exactly.

The contract that prices a product is an active one (start <= today <= end; a null
start or end is open) linked to it, the most recent start winning (ties: the highest
subscription id); its monthly seat cost follows ``analytics.money.exact_monthly_seat_cost``.
Only contracts that carry a usable price are considered. A contract that names no
product prices the products of its application only when that application has exactly
one product (otherwise the seat it prices is ambiguous); a contract naming a product
the inventory does not hold (``product_ref`` without ``product_id``) prices nothing.
With no such contract the catalogue list price (per seat per month, in
``list_currency``) is used and ``price_source`` is ``"list_price"``; a product marked
``is_free`` without a contract costs 0. With no price at all the cost is None
(unknown): findings still fire, with ``monthly_savings`` None. A cost of exactly 0 is never paid.

Savings are rounded half-up to the cent once per finding, after multiplying the exact
seat cost (a ``Fraction``, ``ProductPrice.exact``) by the seat count
(``ProductPrice.savings``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

import pandas as pd

from analytics.contracts import Contract, is_active, iter_contracts
from analytics.frames import day_number
from analytics.money import (
    CENT,
    PricingError,
    cycle_months,
    exact_monthly_seat_cost,
    monthly_seat_cost,
    round_cents,
    to_decimal,
)

__all__ = [
    "CENT",
    "PriceSource",
    "PricingError",
    "ProductPrice",
    "cycle_months",
    "monthly_seat_cost",
    "price_products",
    "round_cents",
    "to_decimal",
]

PriceSource = Literal["contract", "list_price"]


@dataclass(frozen=True, slots=True)
class ProductPrice:
    """The monthly cost of one seat of one product, and where it came from.

    Attributes:
        product_id: The product.
        cost: Exact monthly seat cost; None when no price is known.
        currency: Currency of ``cost`` (the contract's, or the list currency).
        price_source: ``"contract"``, ``"list_price"`` or None (no price).
        contract_number: The pricing contract, when the price comes from one.
        subscription_id: Its id.
        exact: The exact ``cost`` (a contract's ``unit_price / months`` is rarely a
            finite decimal); None when ``cost`` is None. Amounts of several seats are
            computed from it.
    """

    product_id: int
    cost: Decimal | None
    currency: str | None
    price_source: PriceSource | None
    contract_number: str | None = None
    subscription_id: int | None = None
    exact: Fraction | None = None

    @classmethod
    def of(
        cls,
        product_id: int,
        exact: Fraction | None,
        currency: str | None,
        price_source: PriceSource | None,
        contract_number: str | None = None,
        subscription_id: int | None = None,
    ) -> ProductPrice:
        """Return the price of a product from its exact monthly seat cost."""
        cost = None if exact is None else Decimal(exact.numerator) / Decimal(exact.denominator)
        return cls(product_id, cost, currency, price_source, contract_number, subscription_id,
                   exact)  # fmt: skip

    def amount(self, seats: int) -> Fraction | None:
        """Return the exact cost of ``seats`` seats for a month (None when unknown)."""
        if self.cost is None:
            return None
        exact = self.exact if self.exact is not None else Fraction(self.cost)
        return exact * seats

    @property
    def paid(self) -> bool:
        """A seat is paid unless its known price is 0 (an unknown price counts as paid)."""
        return self.cost is None or self.cost > 0

    def savings(self, seats: int) -> Decimal | None:
        """Return the cost of ``seats`` seats for a month, rounded half-up to the cent."""
        amount = self.amount(seats)
        return None if amount is None else round_cents(amount)

    def evidence(self) -> dict[str, Any]:
        """Return the facts behind the price, for a finding's evidence."""
        return {
            "monthly_seat_cost": None if self.cost is None else str(round_cents(self.cost)),
            "currency": self.currency,
            "price_source": self.price_source,
            "contract_number": self.contract_number,
        }


def price_products(
    products: pd.DataFrame, subscriptions: pd.DataFrame, today: date
) -> dict[int, ProductPrice]:
    """Price every product by the seat-cost rule.

    Args:
        products: The products frame.
        subscriptions: The subscriptions (contracts) frame.
        today: The day prices apply on.

    Returns:
        ``ProductPrice`` by product id, one per product.
    """
    product_contracts, app_contracts = _pricing_contracts(subscriptions, today)
    apps_with_one_product = products["application_id"].value_counts()
    single = set(apps_with_one_product[apps_with_one_product == 1].index.tolist())
    prices: dict[int, ProductPrice] = {}
    for product_id, app_id, list_price, list_currency, is_free in zip(
        products["product_id"].tolist(),
        products["application_id"].tolist(),
        products["list_price"].tolist(),
        products["list_currency"].tolist(),
        products["is_free"].tolist(),
        strict=True,
    ):
        contract = product_contracts.get(product_id)
        if contract is None and app_id in single:
            contract = app_contracts.get(app_id)
        if contract is not None:
            prices[product_id] = ProductPrice.of(
                product_id,
                _contract_cost(contract),
                contract.currency,
                "contract",
                contract.contract_number or None,
                contract.subscription_id,
            )
            continue
        price = Decimal(0) if bool(is_free) else to_decimal(list_price)
        currency = None if list_currency is None else str(list_currency)
        source: PriceSource | None = None if price is None else "list_price"
        prices[product_id] = ProductPrice.of(
            product_id,
            None if price is None else Fraction(price),
            currency if price is not None else None,
            source,
        )
    return prices


def _pricing_contracts(
    subscriptions: pd.DataFrame, today: date
) -> tuple[dict[int, Contract], dict[int, Contract]]:
    """Return the pricing contract per product and per application (app-level contracts)."""
    now = day_number(today)
    priced = [
        c
        for c in iter_contracts(subscriptions)
        if is_active(c, now) and _contract_cost(c) is not None
    ]
    # Later entries overwrite earlier ones: the most recent start (then id) ends up last.
    priced.sort(key=lambda c: (c.start if c.start is not None else -(10**9), c.subscription_id))
    by_product: dict[int, Contract] = {}
    by_app: dict[int, Contract] = {}
    for c in priced:
        if c.product_id is not None:
            by_product[c.product_id] = c
        elif c.application_id is not None and not c.names_product:
            by_app[c.application_id] = c
    return by_product, by_app


def _contract_cost(contract: Contract) -> Fraction | None:
    return exact_monthly_seat_cost(
        unit_price=contract.unit_price,
        total_cost=contract.total_cost,
        seats=contract.seats,
        billing_cycle=contract.billing_cycle,
    )
