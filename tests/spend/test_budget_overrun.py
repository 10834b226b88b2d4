"""`seatwise budget`: budgets against actual and forecast; overruns become findings."""

from __future__ import annotations

import json
import threading
import time
from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest
from sqlmodel import Session, select

from analytics.spend import find_budget_overruns
from app.spend.budgets import budget_overrun_findings, budget_status, set_budget
from app.spend.models import Budget
from tests.conftest import Database
from tests.spend.spend_rows import known_company


def test_budget_set_and_list_against_actual(committed_db: Database, cli: Any) -> None:
    with Session(committed_db.engine) as s:
        known_company(s)
        s.commit()
    assert (
        cli(
            "budget",
            "set",
            "--department",
            "Engineering",
            "--year",
            "2026",
            "--amount",
            "1000",
            "--currency",
            "EUR",
        ).exit_code
        == 0
    )
    assert (
        cli(
            "budget",
            "set",
            "--cost-centre",
            "CC-9",
            "--year",
            "2026",
            "--amount",
            "5000",
            "--currency",
            "EUR",
        ).exit_code
        == 0
    )
    result = cli("budget", "list", "--json", "--today", "2026-03-15")
    assert result.exit_code == 0, result.stderr
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert rows["Engineering"]["actual"] == "1068.34"
    assert rows["Engineering"]["over_budget"] is True
    assert rows["CC-9"]["actual"] == "1000.00" and rows["CC-9"]["forecast"] == "1000.00"
    assert rows["CC-9"]["over_budget"] is False


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--department", "Eng", "--amount", "-5"), "must not be negative"),
        (("--department", "Eng", "--amount", "lots"), "must be a number"),
        (("--department", "Eng", "--cost-centre", "CC", "--amount", "5"), "exactly one"),
        (("--amount", "5"), "exactly one"),
    ],
)
def test_bad_budget_exits_2(cli: Any, args: tuple[str, ...], needle: str) -> None:
    result = cli("budget", "set", "--year", "2027", "--currency", "EUR", *args)
    assert result.exit_code == 2
    assert needle in result.stderr


def test_budget_set_twice_replaces(session: Session) -> None:
    first = set_budget(
        session=session, department="Ops", year=2027, amount=Decimal(1), currency="EUR"
    )
    again = set_budget(
        session=session, department="Ops", year=2027, amount=Decimal(2), currency="usd"
    )
    assert first.id == again.id and again.amount == Decimal(2) and again.currency == "USD"


def test_overrun_finding_when_actual_or_forecast_exceeds(session: Session) -> None:
    known_company(session)
    set_budget(
        session=session, department="Engineering", year=2026, amount=Decimal(1000), currency="EUR"
    )
    set_budget(session=session, department="Sales", year=2026, amount=Decimal(400), currency="EUR")
    today = date(2026, 3, 15)
    status = {s.name: s for s in budget_status(session=session, today=today)}
    # Sales: 363.33 so far; CHAT-1 keeps costing Sales 10.00 a month to December.
    assert status["Sales"].actual == Decimal("363.33")
    assert status["Sales"].forecast == Decimal("453.33")
    findings = {f.subject: f for f in budget_overrun_findings(session=session, today=today)}
    assert findings["department Engineering 2026"].severity == "high"
    assert findings["department Sales 2026"].severity == "medium"
    assert findings["department Sales 2026"].evidence["forecast"] == "453.33"
    assert findings["department Sales 2026"].key == "budget_overrun:department:Sales:2026"


def test_pure_rule_skips_past_years_and_budgets_within() -> None:
    frame = pd.DataFrame(
        [
            ("department", "A", 2025, Decimal(1), Decimal(5), Decimal(5), "EUR"),
            ("department", "B", 2026, Decimal(10), Decimal(5), Decimal(10), "EUR"),
            ("cost_centre", "C", 2026, Decimal(10), Decimal(5), Decimal("10.01"), "EUR"),
        ],
        columns=["scope", "name", "year", "budget", "actual", "forecast", "currency"],
    )
    findings = find_budget_overruns(frame, date(2026, 11, 25))
    assert [f.key for f in findings] == ["budget_overrun:cost_centre:C:2026"]
    assert findings[0].evidence["overrun"] == "0.01"


def test_a_budget_needs_only_the_rates_of_its_own_spend(committed_db: Database, cli: Any) -> None:
    """CC-9 spends only EUR: its GBP budget needs EUR→GBP, not the USD of other centres."""
    with Session(committed_db.engine) as s:
        known_company(s)
        s.commit()
    args = ("--cost-centre", "CC-9", "--year", "2026", "--amount", "900", "--currency", "GBP")
    assert cli("budget", "set", *args).exit_code == 0
    assert cli("fx", "set", "EUR", "GBP", "0.85", "--date", "2025-12-31").exit_code == 0
    result = cli("budget", "list", "--json", "--today", "2026-03-15")
    assert result.exit_code == 0, result.stderr
    [row] = json.loads(result.stdout)
    assert (row["name"], row["currency"], row["actual"]) == ("CC-9", "GBP", "850.00")


def test_two_budget_sets_racing_on_one_scope_leave_one_budget(committed_db: Database) -> None:
    """The second set finds no budget, then meets the first one's row: it replaces it."""
    engine = committed_db.engine
    outcome: dict[str, Any] = {}

    def second() -> None:
        try:
            with Session(engine) as s:
                set_budget(
                    session=s, department="Ops", year=2027, amount=Decimal(2), currency="USD"
                )
                s.commit()
        except Exception as exc:  # reported below, with its type
            outcome["error"] = exc

    with Session(engine) as first:
        set_budget(session=first, department="Ops", year=2027, amount=Decimal(1), currency="EUR")
        racer = threading.Thread(target=second)
        racer.start()
        time.sleep(0.5)  # the second now waits on the first's row (or SQLite's write lock)
        first.commit()
    racer.join(30)
    assert not racer.is_alive() and "error" not in outcome, outcome
    with Session(engine) as s:
        rows = s.exec(select(Budget)).all()
    assert [(b.department, b.amount, b.currency) for b in rows] == [("Ops", Decimal(2), "USD")]


def test_a_budget_set_in_a_request_that_fails_is_not_kept(committed_db: Database) -> None:
    """Setting writes inside the caller's transaction only (no savepoint committing early)."""
    with Session(committed_db.engine) as s:
        set_budget(session=s, department="Ops", year=2027, amount=Decimal(1), currency="EUR")
        s.rollback()
    with Session(committed_db.engine) as s:
        assert s.exec(select(Budget)).all() == []


def test_a_budget_takes_the_departments_own_spelling(session: Session) -> None:
    """Spend is matched to a budget by the exact name: "sales" beside the people of
    "Sales" would show no spend, and be a second budget for the same team."""
    from tests.spend.spend_rows import person

    person(session, "ann@example.com", "Sales", "CC-10 Field")
    first = set_budget(
        session=session, year=2026, amount=Decimal(100), currency="EUR", department="  sales "
    )
    again = set_budget(
        session=session, year=2026, amount=Decimal(200), currency="EUR", department="SALES"
    )
    centre = set_budget(
        session=session, year=2026, amount=Decimal(50), currency="EUR", cost_centre="cc-10  field"
    )
    new = set_budget(
        session=session, year=2026, amount=Decimal(5), currency="EUR", department=" New  Team"
    )
    assert (first.id, first.department) == (again.id, "Sales") and again.amount == 200
    assert centre.cost_centre == "CC-10 Field" and new.department == "New Team"
    assert len(session.exec(select(Budget)).all()) == 3


def test_a_budget_can_be_removed_from_the_cli_and_the_api(committed_db: Database, cli: Any) -> None:
    from tests.api_tokens import api_client

    assert cli("budget", "set", "--department", "Sales", "--year", "2026", "--amount", "100",
               "--currency", "EUR").exit_code == 0  # fmt: skip
    assert cli("budget", "set", "--cost-centre", "CC-1", "--year", "2026", "--amount", "9",
               "--currency", "EUR").exit_code == 0  # fmt: skip
    removed = cli("budget", "remove", "--department", "sales", "--year", "2026")
    assert removed.exit_code == 0 and "budget Sales 2026 removed" in removed.stdout
    missing = cli("budget", "remove", "--department", "Sales", "--year", "2026")
    assert missing.exit_code == 1 and "no department budget for 'Sales' in 2026" in missing.stderr
    assert cli("budget", "list", "--year", "1800").exit_code == 2
    with Session(committed_db.engine) as s:
        (left,) = s.exec(select(Budget)).all()
    with api_client(committed_db) as (client, auth):
        url = f"/api/v1/budgets/{left.id}"
        assert client.delete(url, headers=auth["viewer"]).status_code == 403
        assert client.delete(url, headers=auth["finance"]).status_code == 204
        assert client.delete(url, headers=auth["finance"]).status_code == 404
    with Session(committed_db.engine) as s:
        assert s.exec(select(Budget)).all() == []


def test_an_invoice_due_later_this_month_counts_in_the_forecast(session: Session) -> None:
    """An annual invoice every December, today 2026-12-04 and December's not in yet: the
    year's forecast holds it (it was neither actual nor in the months after)."""
    from tests.spend.spend_rows import application, contract, invoice

    app = application(session, "Power BI", "Microsoft")
    sub = contract(
        session, app, "PBI-1", start_date=date(2024, 12, 1), billing_cycle="annual",
        auto_renew=True, renewal_date=date(2027, 12, 29), cost_centre="CC-BI", total_cost="1200",
    )  # fmt: skip
    for year in (2024, 2025):
        invoice(session, "Microsoft", f"PBI-{year}", date(year, 12, 20), "1200", sub=sub)
    set_budget(session=session, year=2026, amount=Decimal(1000), currency="EUR",
               cost_centre="CC-BI")  # fmt: skip
    (status,) = budget_status(session=session, today=date(2026, 12, 4), year=2026)
    assert (status.actual, status.forecast) == (Decimal(0), Decimal(1200))
    invoice(session, "Microsoft", "PBI-2026", date(2026, 12, 2), "1200", sub=sub)
    (arrived,) = budget_status(session=session, today=date(2026, 12, 4), year=2026)
    assert (arrived.actual, arrived.forecast) == (Decimal(1200), Decimal(1200))  # not twice
