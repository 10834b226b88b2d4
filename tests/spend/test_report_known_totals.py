"""`seatwise report spend`: known totals to the cent in JSON, CSV and XLSX."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlmodel import Session, update

from app.people.models import Person
from tests.conftest import Database
from tests.spend.spend_rows import EXPECTED, MONTHS, known_company

PERIOD = ("--from", "2026-01", "--to", "2026-03")


@pytest.fixture
def company(committed_db: Database) -> Database:
    with Session(committed_db.engine) as s:
        known_company(s)
        s.commit()
    return committed_db


def _as_table(rows: dict[str, list[str]]) -> dict[str, list[Decimal]]:
    return {key: [Decimal(v) for v in values] for key, values in rows.items()}


@pytest.mark.parametrize("by", ["vendor", "department", "cost_centre"])
def test_json_report_matches_known_totals_to_the_cent(company: Database, cli: Any, by: str) -> None:
    result = cli("report", "spend", "--by", by, *PERIOD, "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["currency"] == "EUR" and data["by"] == by
    assert data["from"] == "2026-01" and data["to"] == "2026-03" and data["months"] == MONTHS
    got = {row["key"]: [*(row["months"][m] for m in MONTHS), row["total"]] for row in data["rows"]}
    got["Total"] = [*(data["totals"]["months"][m] for m in MONTHS), data["totals"]["total"]]
    assert got == EXPECTED[by]


@pytest.mark.parametrize("by", ["vendor", "department", "cost_centre"])
def test_csv_report_has_header_rows_and_totals_row(company: Database, cli: Any, by: str) -> None:
    result = cli("report", "spend", "--by", by, *PERIOD, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == [by, *MONTHS, "total"]
    got = {row[0]: row[1:] for row in rows[1:]}
    assert list(got)[-1] == "Total"
    assert got == EXPECTED[by]


def test_xlsx_report_reads_back_with_known_totals(
    company: Database, cli: Any, tmp_path: Path
) -> None:
    out = tmp_path / "spend.xlsx"
    result = cli(
        "report",
        "spend",
        "--by",
        "vendor",
        "--by",
        "department,cost_centre",
        *PERIOD,
        "--format",
        "xlsx",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.stderr
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[:3] == ["By vendor", "By department", "By cost centre"]
    assert "Chart" in book.sheetnames
    assert len(book["Chart"]._charts) == 1
    for by, title in (
        ("vendor", "By vendor"),
        ("department", "By department"),
        ("cost_centre", "By cost centre"),
    ):
        sheet = book[title]
        assert sheet.freeze_panes == "B2"
        assert sheet.auto_filter.ref.startswith("A1:")
        header = [c.value for c in sheet[1]]
        assert header[1:] == [*MONTHS, "Total"]
        got = {
            row[0]: [Decimal(str(v)).quantize(Decimal("0.01")) for v in row[1:]]
            for row in sheet.iter_rows(min_row=2, values_only=True)
        }
        assert got == _as_table(EXPECTED[by])
        assert sheet["B2"].number_format.startswith("#,##0.00")
        assert "EUR" in sheet["B2"].number_format
        last = sheet.max_row
        assert sheet.cell(last, 1).value == "Total" and sheet.cell(last, 2).font.b


def test_never_both_invoices_and_amortisation_for_a_contract(company: Database, cli: Any) -> None:
    result = cli("report", "spend", "--by", "app", *PERIOD)
    data = json.loads(result.stdout)
    mail = next(r for r in data["rows"] if r["key"] == "Mail")
    # 500 USD and 250 USD at 0.9; never the 9999 USD total_cost spread over the year.
    assert mail["months"] == {"2026-01": "450.00", "2026-02": "225.00", "2026-03": "0.00"}
    unlinked = next(r for r in data["rows"] if r["key"] == "(no application)")
    assert unlinked["total"] == "100.00"


def test_person_report_charges_each_persons_seats(company: Database, cli: Any) -> None:
    result = cli("report", "spend", "--by", "person", *PERIOD)
    data = json.loads(result.stdout)
    rows = {r["key"]: r for r in data["rows"]}
    assert rows["bob@example.com"]["months"]["2026-01"] == "460.00"  # 10 chat + 450 mail
    assert rows["dave@example.com"]["months"]["2026-02"] == "111.11"
    assert data["totals"]["total"] == "1895.00"


def test_a_formula_like_name_stays_text_in_csv_and_xlsx(
    company: Database, cli: Any, tmp_path: Path
) -> None:
    evil = '=HYPERLINK("http://127.0.0.1/x","Ops")'
    with Session(company.engine) as s:
        s.exec(update(Person).where(Person.department == "Ops").values(department=evil))  # type: ignore[call-overload]
        s.commit()
    result = cli("report", "spend", "--by", "department", *PERIOD, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    keys = [row[0] for row in csv.reader(io.StringIO(result.stdout))]
    assert "'" + evil in keys and evil not in keys
    out = tmp_path / "spend.xlsx"
    args = ("--by", "department", *PERIOD, "--format", "xlsx", "--out", str(out))
    assert cli("report", "spend", *args).exit_code == 0
    with zipfile.ZipFile(out) as book:
        sheets = [n for n in book.namelist() if n.startswith("xl/worksheets/")]
        assert not any(b"<f>" in book.read(n) for n in sheets), "a cell became a formula"
    sheet = openpyxl.load_workbook(out)["By department"]
    cells = {c.value: c.data_type for c in sheet["A"]}
    assert cells[evil] == "s"
