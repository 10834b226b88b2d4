"""Largest-remainder splits: parts always sum exactly to the whole, ties by a stable order."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from sqlmodel import Session

from analytics.spend import allocate_cents, split_evenly, term_months, to_cents
from app.spend.service import spend_reports
from tests.conftest import Database
from tests.spend.spend_rows import application, contract, person, product, seat


def _alloc(amount: int, weights: list[int]) -> list[int]:
    n = len(weights)
    result = allocate_cents(
        np.array([amount], dtype=np.int64),
        np.zeros(n, dtype=np.int64),
        np.array(weights, dtype=np.int64),
        np.arange(n, dtype=np.int64),
    )
    return [int(v) for v in result]


def test_three_way_split_gives_the_leftover_cent_to_the_first_name() -> None:
    assert _alloc(10000, [1, 1, 1]) == [3334, 3333, 3333]


def test_largest_fractional_remainder_wins_the_leftover_cents() -> None:
    # 1.00 over weights 1,2,4 (of 7): 14.28.., 28.57.., 57.14.. → 14, 29, 57
    assert _alloc(100, [1, 2, 4]) == [14, 29, 57]


@pytest.mark.parametrize("amount", [1, 7, 99, 100, 12345, 99999999, -100, -12345])
def test_awkward_amounts_always_sum_exactly(amount: int) -> None:
    weights = [3, 7, 11, 13, 1]
    parts = _alloc(amount, weights)
    assert sum(parts) == amount
    assert max(parts) - min(parts) <= abs(amount)


def test_huge_amounts_take_the_exact_path_and_still_sum() -> None:
    amount = 4 * 10**15
    parts = _alloc(amount, [3, 10**6, 7])
    assert sum(parts) == amount


def test_many_groups_split_at_once_each_sum_to_their_amount() -> None:
    amounts = np.array([100, 1, 333], dtype=np.int64)
    group = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2], dtype=np.int64)
    weights = np.array([1, 1, 1, 5, 5, 1, 1, 1, 1], dtype=np.int64)
    order = np.array([0, 1, 2, 0, 1, 3, 2, 1, 0], dtype=np.int64)
    parts = allocate_cents(amounts, group, weights, order)
    assert [int(parts[group == g].sum()) for g in range(3)] == [100, 1, 333]
    assert [int(v) for v in parts[3:5]] == [1, 0]  # tie: order 0 first
    assert [int(v) for v in parts[5:]] == [83, 83, 83, 84]  # order 0 is the last part


def test_split_evenly_puts_leftover_cents_in_the_earliest_months() -> None:
    assert split_evenly(100000, 12)[:5] == [8334, 8334, 8334, 8334, 8333]
    assert sum(split_evenly(100000, 12)) == 100000


def test_term_months_counts_calendar_months_or_anniversaries() -> None:
    assert term_months(date(2026, 1, 1), date(2026, 12, 31)) == 12
    assert term_months(date(2026, 1, 15), date(2027, 1, 14)) == 12
    assert term_months(date(2026, 1, 1), date(2026, 1, 10)) == 1
    assert term_months(date(2026, 1, 31), date(2026, 3, 30)) == 2
    assert term_months(date(2026, 2, 1), date(2026, 1, 31)) == 0


def test_an_anniversary_on_a_day_the_month_lacks_starts_no_extra_month() -> None:
    # A year from a leap day ends on 28 February: 12 months, not 13.
    assert term_months(date(2028, 2, 29), date(2029, 2, 28)) == 12
    assert term_months(date(2028, 2, 29), date(2029, 3, 1)) == 13
    # A month from the 31st ends on the 30th (or the 28th/29th in February).
    assert term_months(date(2027, 3, 31), date(2027, 4, 30)) == 1
    assert term_months(date(2027, 1, 31), date(2027, 2, 28)) == 1
    assert term_months(date(2027, 1, 31), date(2027, 3, 1)) == 2
    assert term_months(date(2027, 8, 31), date(2028, 8, 30)) == 12


def test_half_cent_rounds_up() -> None:
    assert to_cents(Decimal("10.005")) == 1001
    assert to_cents(Decimal("-10.005")) == -1001


def test_contract_cost_split_over_awkward_seats_sums_to_the_contract(session: Session) -> None:
    app = application(session, "Odd", "Oddco")
    prod = product(session, app, "odd")
    contract(
        session,
        app,
        "ODD-1",
        product_id=prod.id,
        seats=7,
        total_cost="1000.00",
        end_date=date(2026, 3, 31),
    )
    for i, dept in enumerate(["B", "A", "C"]):
        seat(session, person(session, f"p{i}@x.com", dept, f"CC{i}"), prod)
    (report,) = spend_reports(
        session=session, by=["department"], first=2026 * 12, last=2026 * 12 + 2, currency="EUR"
    )
    cells = {r.key: [str(v) for v in r.months] for r in report.rows}
    # 1000.00 / 3 months = 333.34, 333.33, 333.33; each over 7 seats (3 held, 4 unassigned).
    assert [sum(r.months[i] for r in report.rows) for i in range(3)] == [
        Decimal("333.34"),
        Decimal("333.33"),
        Decimal("333.33"),
    ]
    assert cells["Unallocated"] == ["190.48", "190.47", "190.47"]
    assert cells["A"] == ["47.62", "47.62", "47.62"]
    assert report.grand_total == Decimal("1000.00")


def test_holders_without_a_department_and_unassigned_seats_round_as_one_share(
    committed_db: Database, cli: Any
) -> None:
    """8,334 cents over Engineering 1, Sales 2, Support 1 and Unallocated 3 (a holder
    without a department, two seats unassigned): Unallocated's 3/7 rounds as one share."""
    with Session(committed_db.engine) as s:
        app = application(s, "Chat", "Acme", "Communication")
        prod = product(s, app, "chat")
        contract(s, app, "ACME-1", product_id=prod.id, seats=7, total_cost="1000.08",
                 end_date=date(2026, 12, 31))  # fmt: skip
        holders = [("e@x.test", "Engineering"), ("s1@x.test", "Sales"), ("s2@x.test", "Sales"),
                   ("t@x.test", "Support"), ("n@x.test", None)]  # fmt: skip
        for email, department in holders:
            seat(s, person(s, email, department, None), prod)
        s.commit()
    args = ("--by", "department", "--from", "2026-01", "--to", "2026-01", "--format", "json")
    result = cli("report", "spend", *args)
    assert result.exit_code == 0, result.stderr
    got = {row["key"]: row["total"] for row in json.loads(result.stdout)["rows"]}
    assert got == {
        "Engineering": "11.91", "Sales": "23.81", "Support": "11.90", "Unallocated": "35.72",
    }  # fmt: skip
