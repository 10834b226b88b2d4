"""Amortised terms in the spend report: each month of the term once, none after it."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlmodel import Session

from tests.conftest import Database
from tests.spend.spend_rows import application, contract


def test_a_year_from_a_leap_day_is_amortised_over_twelve_months(
    committed_db: Database, cli: Any
) -> None:
    """1,200.00 for 2028-02-29..2029-02-28: 100.00 from February 2028 to January 2029."""
    with Session(committed_db.engine) as s:
        app = application(s, "Leapware", "Leapco")
        contract(s, app, "LEAP-12", total_cost="1200.00",
                 start_date=date(2028, 2, 29), end_date=date(2029, 2, 28))  # fmt: skip
        contract(s, application(s, "Monthly", "Leapco"), "M-31", total_cost="31.00",
                 start_date=date(2027, 3, 31), end_date=date(2027, 4, 30))  # fmt: skip
        s.commit()
    args = ("--by", "app", "--from", "2027-03", "--to", "2029-03", "--format", "json")
    result = cli("report", "spend", *args)
    assert result.exit_code == 0, result.stderr
    rows = {r["key"]: r for r in json.loads(result.stdout)["rows"]}
    leap = {m: v for m, v in rows["Leapware"]["months"].items() if v != "0.00"}
    assert list(leap) == [f"2028-{m:02d}" for m in range(2, 13)] + ["2029-01"]
    assert set(leap.values()) == {"100.00"} and rows["Leapware"]["total"] == "1200.00"
    # A month from 31 March ends on 30 April: all of it in March.
    monthly = {m: v for m, v in rows["Monthly"]["months"].items() if v != "0.00"}
    assert monthly == {"2027-03": "31.00"}
