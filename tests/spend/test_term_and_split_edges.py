"""Edges of the spend model's pure maths that the report figures depend on.

Expected figures are worked out by hand from issue 6's rules (a term covers the months
beginning on an anniversary of its start on or before its end; whole-cent splits by the
largest-remainder method), never by calling the code under test for the answer.
"""

from __future__ import annotations

from datetime import date

from analytics.spend import split_evenly, term_months


def test_a_term_ending_on_an_anniversary_covers_the_month_that_begins_that_day() -> None:
    # 15 Jan .. 15 Feb: the second month begins on 15 Feb, which is inside the term.
    assert term_months(date(2026, 1, 15), date(2026, 2, 15)) == 2
    # 1 Jan .. 1 Dec: December begins on its first day, inside the term: 12 months.
    assert term_months(date(2026, 1, 1), date(2026, 12, 1)) == 12


def test_a_one_day_term_covers_one_month() -> None:
    """A contract starting and ending on the same day still costs something."""
    assert term_months(date(2026, 3, 1), date(2026, 3, 1)) == 1
    assert term_months(date(2026, 3, 17), date(2026, 3, 17)) == 1


def test_a_negative_term_cost_splits_as_its_absolute_value_negated() -> None:
    """A credit of 10.00 over 3 months: -3.34, -3.33, -3.33 (leftover cent first)."""
    assert split_evenly(-1000, 3) == [-334, -333, -333]
