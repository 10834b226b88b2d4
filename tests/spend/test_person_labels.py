"""Spend by person names every holder as a human would: never by a database row id."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlmodel import Session

from tests.conftest import Database
from tests.spend.spend_rows import slack_members_without_email

PERIOD = ("--from", "2026-01", "--to", "2026-01")
LABELS = [
    "ann@example.com",
    "Isaac Moreau (slack U001)",
    "Sam Lee (slack U003)",
    "Sam Lee (slack U004)",
    "U002 (slack)",
]


@pytest.fixture
def members(committed_db: Database) -> Database:
    with Session(committed_db.engine) as s:
        slack_members_without_email(s)
        s.commit()
    return committed_db


def test_members_without_email_are_named_by_display_name_and_connector(
    members: Database, cli: Any
) -> None:
    result = cli("report", "spend", "--by", "person", *PERIOD)
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)["rows"]
    assert [r["key"] for r in rows] == LABELS
    # Namesakes stay two people: each holds one of the five seats.
    assert {r["key"]: r["total"] for r in rows}["Sam Lee (slack U004)"] == "20.00"


def test_csv_and_xlsx_carry_the_same_names(members: Database, cli: Any, tmp_path: Path) -> None:
    result = cli("report", "spend", "--by", "person", *PERIOD, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    keys = [row[0] for row in csv.reader(io.StringIO(result.stdout))][1:-1]
    assert keys == LABELS
    out = tmp_path / "spend.xlsx"
    args = ("--by", "person", *PERIOD, "--format", "xlsx", "--out", str(out))
    assert cli("report", "spend", *args).exit_code == 0
    sheet = openpyxl.load_workbook(out)["By person"]
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)][:-1] == LABELS
    assert not any(str(row[0]).startswith("account ") for row in sheet.iter_rows(values_only=True))
