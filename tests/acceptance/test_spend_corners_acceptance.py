"""Issue 6 acceptance on the Nordlicht company: spend reports, budgets and forecast.

Everything goes in and comes out through the CLI; the expected figures are worked by
hand in ``tests.acceptance.spend_corners_company`` from the issue's rules.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlmodel import Session

from tests.acceptance.spend_corners_company import (
    CONTRACTS_CSV,
    EXPECTED,
    FX_RATES,
    INVOICES,
    MONTHS,
    RENEWING_CSV,
    seed_people_and_seats,
)
from tests.conftest import Database

PERIOD = ("--from", "2027-11", "--to", "2028-03")
CENT = Decimal("0.01")


@pytest.fixture
def nordlicht(committed_db: Database, cli: Any, tmp_path: Path) -> Database:
    with Session(committed_db.engine) as s:
        seed_people_and_seats(s)
        s.commit()
    contracts = tmp_path / "contracts.csv"
    contracts.write_text(CONTRACTS_CSV, encoding="utf-8")
    result = cli("import", "contracts", str(contracts))
    assert result.exit_code == 0, result.stderr
    # Invoices as XLSX with real Excel dates, as a finance export would have them.
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["invoice_number", "vendor", "application", "contract_number",
                  "invoice_date", "period_start", "period_end", "amount", "currency"])  # fmt: skip
    for number, vendor, app, contract, day, amount, currency in INVOICES:
        sheet.append([number, vendor, app, contract, day, None, None, amount, currency])
    invoices = tmp_path / "invoices.xlsx"
    book.save(invoices)
    result = cli("import", "invoices", str(invoices))
    assert result.exit_code == 0, result.stderr
    for base, quote, rate, day in FX_RATES:
        assert cli("fx", "set", base, quote, rate, "--date", day).exit_code == 0
    return committed_db


def _table(rows: list[list[Any]]) -> dict[str, list[str]]:
    return {str(r[0]): [str(Decimal(str(v)).quantize(CENT)) for v in r[1:]] for r in rows}


@pytest.mark.parametrize("by", ["vendor", "department", "cost_centre", "category"])
def test_json_and_csv_match_the_hand_worked_figures(nordlicht: Database, cli: Any, by: str) -> None:
    data = json.loads(cli("report", "spend", "--by", by, *PERIOD, "--format", "json").stdout)
    assert data["months"] == MONTHS and data["currency"] == "EUR"
    got = {r["key"]: [*(r["months"][m] for m in MONTHS), r["total"]] for r in data["rows"]}
    got["Total"] = [*(data["totals"]["months"][m] for m in MONTHS), data["totals"]["total"]]
    assert got == EXPECTED[by]
    result = cli("report", "spend", "--by", by, *PERIOD, "--format", "csv")
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == [by, *MONTHS, "total"]
    assert _table(rows[1:]) == EXPECTED[by]


def test_xlsx_holds_numbers_in_month_columns_that_foot_and_cross_foot(
    nordlicht: Database, cli: Any, tmp_path: Path
) -> None:
    out = tmp_path / "spend.xlsx"
    by = ("--by", "vendor,department,cost_centre,category")
    result = cli("report", "spend", *by, *PERIOD, "--format", "xlsx", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    book = openpyxl.load_workbook(out)
    titles = {"vendor": "By vendor", "department": "By department",
              "cost_centre": "By cost centre", "category": "By category"}  # fmt: skip
    for grouping, title in titles.items():
        rows = [list(r) for r in book[title].iter_rows(values_only=True)]
        assert rows[0][1:] == [*MONTHS, "Total"]
        for row in rows[1:]:
            assert all(isinstance(v, int | float) for v in row[1:]), row
            cells = [Decimal(str(v)).quantize(CENT) for v in row[1:]]
            assert sum(cells[:-1]) == cells[-1], row  # each row foots
        body, totals = rows[1:-1], rows[-1]
        assert totals[0] == "Total"
        for column in range(1, len(MONTHS) + 2):  # each column cross-foots
            column_sum = sum(Decimal(str(r[column])).quantize(CENT) for r in body)
            assert column_sum == Decimal(str(totals[column])).quantize(CENT)
        assert _table(rows[1:]) == EXPECTED[grouping]


def test_each_persons_seats_are_charged_and_the_shares_add_up(
    nordlicht: Database, cli: Any
) -> None:
    data = json.loads(cli("report", "spend", "--by", "person", *PERIOD).stdout)
    got = {r["key"]: [*(r["months"][m] for m in MONTHS), r["total"]] for r in data["rows"]}
    # CRM's 100.00 split three ways (ann, ben, the spare seat); the remainder cent goes
    # deterministically (by name) to "Unallocated". DOC-1 by its holders at month end.
    assert got["ann@nordlicht.example"] == ["33.33", "33.33", "33.33", "0.00", "0.00", "99.99"]
    assert got["ben@nordlicht.example"] == ["33.33", "33.33", "33.33", "0.00", "0.00", "99.99"]
    assert got["carl@nordlicht.example"] == ["54.00", "0.00", "55.20", "-14.25", "0.00", "94.95"]
    assert got["dana@nordlicht.example"] == ["0.00", "0.00", "55.20", "-14.25", "0.00", "40.95"]
    assert got["eve@nordlicht.example"][-1] == "590.00"
    assert got["Unallocated"] == ["87.34", "54.34", "54.34", "21.00", "71.00", "288.02"]
    assert data["totals"]["total"] == "1213.90"


def test_a_missing_rate_names_the_pair_and_day_and_writes_no_file(
    nordlicht: Database, cli: Any, tmp_path: Path
) -> None:
    out = tmp_path / "october.xlsx"
    args = ("--from", "2027-10", "--to", "2028-03", "--format", "xlsx", "--out", str(out))
    result = cli("report", "spend", "--by", "vendor", *args)
    # LEAP-1's October needs GBP→EUR at 2027-10-31; the first rate is of 2027-11-30.
    assert result.exit_code == 1
    assert "GBP→EUR" in result.stderr and "2027-10-31" in result.stderr
    assert not out.exists()


def test_bad_input_exits_2(nordlicht: Database, cli: Any) -> None:
    unknown = cli("report", "spend", "--by", "seat", *PERIOD)
    assert unknown.exit_code == 2 and "department, cost_centre, person" in unknown.stderr
    assert cli("report", "spend", "--from", "2028-03", "--to", "2027-11").exit_code == 2
    negative = ("budget", "set", "--department", "Sales", "--year", "2028", "--amount", "-1")
    assert cli(*negative, "--currency", "EUR").exit_code == 2


def test_budgets_are_listed_against_actual_spend_of_their_year(
    nordlicht: Database, cli: Any
) -> None:
    for scope, name, amount, currency in (("--department", "Sales", "100", "EUR"),
                                          ("--department", "Engineering", "50", "EUR"),
                                          ("--cost-centre", "CC-X", "150", "USD")):  # fmt: skip
        budget = ("budget", "set", scope, name, "--year", "2028", "--amount", amount)
        assert cli(*budget, "--currency", currency).exit_code == 0
    result = cli("budget", "list", "--year", "2028", "--json", "--today", "2028-02-15")
    assert result.exit_code == 0, result.stderr
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    # 2028 up to February: Sales CRM's January 33.33 (CRM has ended: nothing ahead).
    assert (rows["Sales"]["actual"], rows["Sales"]["forecast"]) == ("33.33", "33.33")
    assert rows["Sales"]["over_budget"] is False
    # Engineering: DOC-1's 110.40 and -28.50; the budget of 50 is overrun.
    assert rows["Engineering"]["actual"] == "81.90" and rows["Engineering"]["over_budget"]
    # CC-X in its own currency, USD: 120.00 - 30.00.
    assert rows["CC-X"]["actual"] == "90.00" and rows["CC-X"]["currency"] == "USD"


def test_forecast_applies_the_renewal_uplift_and_prints_its_backtest(
    nordlicht: Database, cli: Any, tmp_path: Path
) -> None:
    renewing = tmp_path / "renewing.csv"
    renewing.write_text(RENEWING_CSV, encoding="utf-8")
    assert cli("import", "contracts", str(renewing)).exit_code == 0
    args = ("report", "forecast", "--by", "app", "--today", "2028-02-15", "--months", "4")
    plain = json.loads(cli(*args, "--format", "json").stdout)
    uplifted = cli(*args, "--format", "csv", "--uplift", "REN-1=10")
    assert uplifted.exit_code == 0, uplifted.stderr
    rows = {r[0]: r[1:] for r in csv.reader(io.StringIO(uplifted.stdout))}
    assert rows["Xeno Render"] == ["110.00", "110.00", "110.00", "110.00", "440.00"]
    render = next(r for r in plain["rows"] if r["key"] == "Xeno Render")
    assert set(render["months"].values()) == {"100.00"}
    # LEAP-1 goes on to its 2029 end at today's GBP→EUR rate (1.20); OPEN-1 monthly.
    assert rows["Xeno Design"][:4] == ["120.00"] * 4
    assert rows["Zeta Chat"][:4] == ["21.00"] * 4
    assert "CRM" not in " ".join(rows)  # ended 2028-02-14, does not renew
    assert "MAPE" in uplifted.stderr and "WAPE" in uplifted.stderr
    assert plain["backtest"]["holdout_months"] == 3
