"""Seats bought versus seats used, per product: ``overuse`` and ``unassigned_seats``.

Seats in use = ``max(seats_consumed, seats assigned)``, where seats assigned counts the
product's current assignments to accounts not removed (``seats_consumed`` null → the
assigned count alone). ``seats_purchased`` null → no finding (nothing to compare).

* ``overuse`` — in use > purchased: a true-up / compliance exposure, on any product.
  ``monthly_savings`` is 0; evidence has ``excess_seats`` and
  ``monthly_exposure = excess x monthly seat cost`` (rounded half-up; None if the price
  is unknown). Severity ``high``.
* ``unassigned_seats`` — purchased > in use on a paid product (price > 0 or unknown).
  Saves ``(purchased - in use) x monthly seat cost``, rounded half-up once. Severity
  ``medium``.

Keys: ``overuse:<product_id>``, ``unassigned_seats:<product_id>``; subject: product name.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd

from analytics.frames import Frames
from analytics.model import Finding, Policy
from analytics.seats import SeatTable, build_seat_table

ZERO = Decimal("0.00")


def find_seat_count_issues(
    frames: Frames, policy: Policy, today: date, *, seats: SeatTable | None = None
) -> list[Finding]:
    """Find products using more seats than bought, and paid products with seats idle.

    Args:
        frames: The validated frames.
        policy: Unused here; part of the common rule signature.
        today: The day of the analysis (prices are chosen on it).
        seats: A seat table already built for ``frames``/``today`` (built if None).

    Returns:
        ``overuse`` and ``unassigned_seats`` findings.
    """
    del policy
    table = seats if seats is not None else build_seat_table(frames, today)
    assigned = pd.Series(table.product_id).value_counts()
    products = frames.products
    findings: list[Finding] = []
    for pid, app_id, name, purchased, consumed in zip(
        products["product_id"].tolist(),
        products["application_id"].tolist(),
        products["name"].tolist(),
        products["seats_purchased"].tolist(),
        products["seats_consumed"].tolist(),
        strict=True,
    ):
        if purchased is None or purchased is pd.NA:
            continue
        n_assigned = int(assigned.get(pid, 0))
        has_consumed = consumed is not None and consumed is not pd.NA
        in_use = max(int(consumed), n_assigned) if has_consumed else n_assigned
        price = table.prices[pid]
        evidence: dict[str, Any] = {
            **table.product_evidence[pid],
            "seats_purchased": int(purchased),
            "seats_consumed": int(consumed) if has_consumed else None,
            "seats_assigned": n_assigned,
            "seats_in_use": in_use,
        }
        subject = "" if name is None else str(name)
        if in_use > purchased:
            excess = in_use - int(purchased)
            exposure = price.savings(excess)
            evidence["excess_seats"] = excess
            evidence["monthly_exposure"] = None if exposure is None else str(exposure)
            findings.append(
                Finding(
                    key=f"overuse:{pid}",
                    kind="overuse",
                    severity="high",
                    application_id=app_id,
                    product_id=pid,
                    subject=subject,
                    evidence=evidence,
                    monthly_savings=ZERO,
                    currency=price.currency,
                )
            )
        elif purchased > in_use and price.paid:
            spare = int(purchased) - in_use
            evidence["unassigned_seats"] = spare
            findings.append(
                Finding(
                    key=f"unassigned_seats:{pid}",
                    kind="unassigned_seats",
                    severity="medium",
                    application_id=app_id,
                    product_id=pid,
                    subject=subject,
                    evidence=evidence,
                    monthly_savings=price.savings(spare),
                    currency=price.currency,
                )
            )
    return findings
