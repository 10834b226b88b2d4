"""Converted reports add up as shown: every column's rows sum to its total, to the cent."""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlmodel import Session

from analytics.spend import round_table
from app.spend.service import spend_reports
from tests.conftest import Database
from tests.spend.spend_rows import (
    application,
    contract,
    invoice,
    person,
    product,
    rate,
    seat,
    usd_shared_by_people,
)

CENT = Decimal("0.01")
MONTHS = ["2026-01", "2026-02", "2026-03"]
PERIOD = ("--from", MONTHS[0], "--to", MONTHS[-1])
Table = dict[str, list[Decimal]]


@pytest.fixture
def shared(committed_db: Database) -> Database:
    """37 people share 1,234.57, 987.65 and 0.37 USD: every converted share has a remainder."""
    with Session(committed_db.engine) as s:
        usd_shared_by_people(s, 37, {1: "1234.57", 2: "987.65", 3: "0.37"})
        s.commit()
    return committed_db


def _assert_adds_up(table: Table, exact: Table) -> None:
    """Rows sum to the Total row in every column; each amount within a cent of exact."""
    total = table.pop("Total")
    for column, shown_total in enumerate(total):
        assert sum(row[column] for row in table.values()) == shown_total, MONTHS[column]
    assert table.keys() == exact.keys()
    for key, row in table.items():
        for shown, true in zip(row, exact[key], strict=True):
            assert abs(shown - true) < CENT, (key, shown, true)


def _exact(db: Database) -> Table:
    with Session(db.engine) as s:
        (report,) = spend_reports(
            session=s, by=["person"], first=2026 * 12, last=2026 * 12 + 2, currency="EUR"
        )
    return {row.key: [*row.months, row.total] for row in report.rows}


def test_two_converted_half_cents_round_to_the_total_not_both_up(
    committed_db: Database, cli: Any
) -> None:
    """1.00 USD over two people at 0.913: 0.4565 EUR each, 0.91 together — not 0.46 twice."""
    with Session(committed_db.engine) as s:
        app = application(s, "Chat", "Acme")
        prod = product(s, app, "chat")
        sub = contract(s, app, "C-1", product_id=prod.id, seats=2, total_cost="9", currency="USD")
        for email in ("a@example.com", "b@example.com"):
            seat(s, person(s, email, None, None), prod)
        invoice(s, "Acme", "INV-1", date(2026, 1, 10), "1.00", "USD", sub=sub)
        rate(s, "USD", "EUR", date(2025, 12, 31), "0.913")
        s.commit()
    result = cli("report", "spend", "--by", "person", "--from", "2026-01", "--to", "2026-01")
    data = json.loads(result.stdout)
    assert {r["key"]: r["total"] for r in data["rows"]} == {
        "a@example.com": "0.46",
        "b@example.com": "0.45",
    }
    assert data["totals"]["total"] == "0.91"


@pytest.mark.parametrize("by", ["person", "department"])
def test_converted_json_rows_add_up_to_the_totals_in_every_month(
    shared: Database, cli: Any, by: str
) -> None:
    result = cli("report", "spend", "--by", by, *PERIOD, "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    table = {r["key"]: [Decimal(r["months"][m]) for m in MONTHS] + [Decimal(r["total"])]
             for r in data["rows"]}  # fmt: skip
    table["Total"] = [Decimal(data["totals"]["months"][m]) for m in MONTHS]
    table["Total"].append(Decimal(data["totals"]["total"]))
    if by == "person":
        _assert_adds_up(table, _exact(shared))
    else:
        total = table.pop("Total")
        assert [sum(column) for column in zip(*table.values(), strict=True)] == total


def test_converted_csv_rows_add_up_to_the_totals_row(shared: Database, cli: Any) -> None:
    result = cli("report", "spend", "--by", "person", *PERIOD, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["person", *MONTHS, "total"] and rows[-1][0] == "Total"
    table = {row[0]: [Decimal(v) for v in row[1:]] for row in rows[1:]}
    assert all(v == v.quantize(CENT) for row in table.values() for v in row)
    _assert_adds_up(table, _exact(shared))


def test_converted_xlsx_rows_add_up_to_the_totals_row(
    shared: Database, cli: Any, tmp_path: Path
) -> None:
    out = tmp_path / "spend.xlsx"
    args = ("--by", "person", *PERIOD, "--format", "xlsx", "--out", str(out))
    result = cli("report", "spend", *args)
    assert result.exit_code == 0, result.stderr
    sheet = openpyxl.load_workbook(out)["By person"]
    table = {
        str(row[0]): [Decimal(str(v)) for v in row[1:]]
        for row in sheet.iter_rows(min_row=2, values_only=True)
    }
    assert all(v == v.quantize(CENT) for row in table.values() for v in row), "not whole cents"
    _assert_adds_up(table, _exact(shared))


def test_round_table_foots_and_cross_foots_with_every_figure_near_its_exact_one() -> None:
    """Random converted tables (credits included): every cell within a cent, every
    column summing to its exact total rounded half-up, and every row's shown months,
    its total, near its exact total (within a cent as a rule; under three here)."""
    rnd = random.Random(7)
    for _ in range(200):
        rows = [
            [Decimal(rnd.randint(-50_000, 500_000)) / 1000 * Decimal("0.9137")
             for _ in range(12)]
            for _ in range(rnd.randint(1, 60))
        ]  # fmt: skip
        columns = [list(c) for c in zip(*rows, strict=True)]
        shown = round_table(columns)
        for exact, cells in zip(columns, shown, strict=True):
            assert sum(cells) == sum(exact).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            assert all(abs(a - b) < Decimal("0.01") for a, b in zip(exact, cells, strict=True))
        for i, row in enumerate(rows):
            assert abs(sum(column[i] for column in shown) - sum(row)) < Decimal("0.03")
