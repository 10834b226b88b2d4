"""Forecasts add up as shown: every month column to the totals row, every row to its total."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlmodel import Session

from app.spend.forecast_service import ForecastReport, forecast_reports
from app.spend.service import ReportRow
from tests.conftest import Database
from tests.spend.spend_rows import application, contract, invoice, person, product, rate, seat

CENT = Decimal("0.01")
TODAY = ("--today", "2026-11-25")
Table = dict[str, list[Decimal]]


def test_a_row_of_equal_converted_months_totals_what_its_months_show() -> None:
    """The demo's Google Workspace: 3,011.7117 a month shows 3,011.71 and 36,140.52."""
    report = ForecastReport("EUR", 0, 11, "app", [ReportRow("GW", [Decimal("3011.7117")] * 12)])
    shown = report.shown
    assert shown.rows[0].months == (Decimal("3011.71"),) * 12
    assert shown.rows[0].total == Decimal("36140.52")  # not 36,140.54 (exact, rounded)
    assert shown.totals == [Decimal("3011.71")] * 12
    assert shown.grand_total == Decimal("36140.52")


@pytest.fixture
def shared(committed_db: Database) -> Database:
    """1,234.57 USD a month (USD→EUR 0.9137) shared by 37 people in 3 departments."""
    with Session(committed_db.engine) as s:
        app = application(s, "Chat", "Acme")
        prod = product(s, app, "chat")
        sub = contract(s, app, "CHAT-USD", product_id=prod.id, seats=37, currency="USD",
                       billing_cycle="monthly", auto_renew=True,
                       end_date=date(2026, 12, 31))  # fmt: skip
        for i in range(37):
            seat(s, person(s, f"p{i:02d}@example.com", f"D{i % 3}", None), prod)
        for month in (9, 10, 11):
            invoice(s, "Acme", f"INV-{month}", date(2026, month, 10), "1234.57", "USD", sub=sub)
        rate(s, "USD", "EUR", date(2025, 12, 31), "0.9137")
        s.commit()
    return committed_db


def _exact(db: Database, by: str) -> Table:
    with Session(db.engine) as s:
        (report,), _ = forecast_reports(
            session=s, by=[by], currency="EUR", today=date(2026, 11, 25), holdout=0
        )
    return {row.key: [*row.months, row.total] for row in report.rows}


def _assert_adds_up(table: Table, exact: Table) -> None:
    """Columns sum to the Total row, rows to their total; months within a cent of exact."""
    total = table.pop("Total")
    assert [sum(column) for column in zip(*table.values(), strict=True)] == total
    assert sum(total[:-1]) == total[-1]
    assert table.keys() == exact.keys()
    for key, row in table.items():
        assert sum(row[:-1]) == row[-1], key
        assert all(abs(s - e) < CENT for s, e in zip(row[:-1], exact[key], strict=False)), key
        assert abs(row[-1] - exact[key][-1]) <= CENT * 12, key  # a cent a month at most


def test_converted_forecast_rows_total_their_months(shared: Database, cli: Any) -> None:
    data = json.loads(cli("report", "forecast", *TODAY, "--format", "json").stdout)
    (row,) = data["rows"]
    assert set(row["months"].values()) == {"1128.03"}  # 1,234.57 x 0.9137 = 1,128.0266
    assert row["total"] == data["totals"]["total"] == "13536.36"  # 12 x 1,128.03


@pytest.mark.parametrize("by", ["person", "department"])
def test_converted_forecast_json_adds_up_across_and_down(
    shared: Database, cli: Any, by: str
) -> None:
    result = cli("report", "forecast", "--by", by, *TODAY, "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    months = data["months"]
    table = {r["key"]: [Decimal(r["months"][m]) for m in months] + [Decimal(r["total"])]
             for r in data["rows"]}  # fmt: skip
    table["Total"] = [Decimal(data["totals"]["months"][m]) for m in months]
    table["Total"].append(Decimal(data["totals"]["total"]))
    _assert_adds_up(table, _exact(shared, by))


def test_converted_forecast_csv_and_xlsx_add_up(shared: Database, cli: Any, tmp_path: Path) -> None:
    exact = _exact(shared, "person")
    result = cli("report", "forecast", "--by", "person", *TODAY, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[-1][0] == "Total"
    _assert_adds_up({row[0]: [Decimal(v) for v in row[1:]] for row in rows[1:]}, exact)
    out = tmp_path / "forecast.xlsx"
    args = ("--by", "person", *TODAY, "--format", "xlsx", "--out", str(out))
    assert cli("report", "forecast", *args).exit_code == 0
    sheet = openpyxl.load_workbook(out)["Forecast by person"]
    table = {
        str(row[0]): [Decimal(str(v)) for v in row[1:]]
        for row in sheet.iter_rows(min_row=2, values_only=True)
    }
    _assert_adds_up(table, exact)


def test_forecast_table_prints_the_shown_totals(shared: Database, cli: Any) -> None:
    data = json.loads(
        cli("report", "forecast", "--by", "person", *TODAY, "--format", "json").stdout
    )
    lines = cli("report", "forecast", "--by", "person", *TODAY).stdout.splitlines()
    printed = dict(line.split() for line in lines[1:13])
    assert printed == data["totals"]["months"]
    assert lines[13].split() == ["total", data["totals"]["total"]]
