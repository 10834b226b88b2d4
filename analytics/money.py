"""Exact money: reading amounts, half-up cents, and one contract's monthly seat cost.

A contract's ``unit_price`` is the price of one seat for one billing cycle, so the
monthly seat cost is ``unit_price / months``; without a unit price it is
``total_cost / seats / months``. Costs stay exact: ``exact_monthly_seat_cost`` is a
``Fraction`` (``10 / 3`` stays a third), so a saving of several seats is the exact
product, rounded half-up to the cent once (``round_cents``). A Decimal cost rounded to
28 digits would not do: 3 x (12.10 / 12) is 3.0249…9 in Decimal, 3.025 exactly → 3.03.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

import pandas as pd

from analytics.frames import BILLING_CYCLE_MONTHS

CENT = Decimal("0.01")


class PricingError(ValueError):
    """A money value or billing cycle cannot be read."""


def to_decimal(value: Any) -> Decimal | None:
    """Return a money value as an exact Decimal (None for null/NaN).

    Floats go through their shortest decimal text (``0.1`` → ``Decimal("0.1")``).

    Raises:
        PricingError: The value is not a number.
    """
    if value is None or value is pd.NA:
        return None
    if isinstance(value, Decimal):
        return None if value.is_nan() else value
    if isinstance(value, bool):
        raise PricingError(f"money value must be a number, got {value!r}")
    if isinstance(value, float):
        if value != value:
            return None
        return Decimal(repr(value))
    if isinstance(value, (int, str)):
        text = str(value).strip()
        if text == "":
            return None
        try:
            return Decimal(text)
        except InvalidOperation as exc:
            raise PricingError(f"money value must be a number, got {value!r}") from exc
    try:
        return Decimal(repr(float(value)))
    except (TypeError, ValueError) as exc:
        raise PricingError(f"money value must be a number, got {value!r}") from exc


def round_cents(amount: Decimal | Fraction) -> Decimal:
    """Round an amount half-up to the cent (10.005 → 10.01), exactly for a Fraction."""
    if isinstance(amount, Decimal):
        return amount.quantize(CENT, rounding=ROUND_HALF_UP)
    cents, remainder = divmod(abs(amount.numerator) * 100, amount.denominator)
    if 2 * remainder >= amount.denominator:
        cents += 1
    return Decimal(-cents if amount < 0 else cents).scaleb(-2).quantize(CENT)


def cycle_months(billing_cycle: Any) -> int | None:
    """Return the months one billing cycle covers (None when the cycle is not given).

    Raises:
        PricingError: The cycle is given but unknown.
    """
    if billing_cycle is None or billing_cycle is pd.NA or billing_cycle != billing_cycle:
        return None
    key = str(billing_cycle).strip().lower()
    if key == "":
        return None
    months = BILLING_CYCLE_MONTHS.get(key)
    if months is None:
        expected = ", ".join(BILLING_CYCLE_MONTHS)
        raise PricingError(f"unknown billing_cycle {billing_cycle!r}; expected one of {expected}")
    return months


def monthly_seat_cost(
    *, unit_price: Any, total_cost: Any, seats: Any, billing_cycle: Any
) -> Decimal | None:
    """Return the monthly cost of one seat of a contract as a Decimal (None when not derivable).

    For display and evidence; amounts of several seats use ``exact_monthly_seat_cost``.

    Args:
        unit_price: Price of one seat for one billing cycle (preferred).
        total_cost: Contract price for all seats for one billing cycle (fallback).
        seats: Seats the contract buys (divides ``total_cost``).
        billing_cycle: ``monthly`` | ``quarterly`` | ``annual`` | ``biennial`` | ``triennial``.

    Returns:
        The unrounded monthly seat cost, or None without a cycle or any usable price.
    """
    exact = exact_monthly_seat_cost(
        unit_price=unit_price, total_cost=total_cost, seats=seats, billing_cycle=billing_cycle
    )
    return None if exact is None else Decimal(exact.numerator) / Decimal(exact.denominator)


def exact_monthly_seat_cost(
    *, unit_price: Any, total_cost: Any, seats: Any, billing_cycle: Any
) -> Fraction | None:
    """Return the exact monthly cost of one seat of a contract (None when not derivable).

    Args:
        unit_price: Price of one seat for one billing cycle (preferred).
        total_cost: Contract price for all seats for one billing cycle (fallback).
        seats: Seats the contract buys (divides ``total_cost``).
        billing_cycle: ``monthly`` | ``quarterly`` | ``annual`` | ``biennial`` | ``triennial``.

    Returns:
        ``unit_price / months``, else ``total_cost / seats / months``, as a Fraction.
    """
    months = cycle_months(billing_cycle)
    if months is None:
        return None
    price = to_decimal(unit_price)
    if price is not None:
        return Fraction(price) / months
    total = to_decimal(total_cost)
    if total is None or seats is None or seats is pd.NA or seats != seats or int(seats) <= 0:
        return None
    return Fraction(total) / (int(seats) * months)
