"""`seatwise fx`: storing and importing rates; conversions never guess a missing rate."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from app.spend.fx import FxTable, MissingFxRateError, set_rate
from tests.conftest import Database
from tests.spend.spend_rows import application, contract


def test_fx_set_then_list_json(cli: Any) -> None:
    assert cli("fx", "set", "eur", "USD", "1.08", "--date", "2026-11-01").exit_code == 0
    assert cli("fx", "set", "EUR", "USD", "1.09", "--date", "2026-11-01").exit_code == 0
    rows = json.loads(cli("fx", "list", "--json").stdout)
    assert rows == [{"base": "EUR", "quote": "USD", "day": "2026-11-01", "rate": "1.0900000000"}]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("EUR", "USD", "0"), "positive number"),
        (("EUR", "USD", "abc"), "positive number"),
        (("EURO", "USD", "1.1"), "3-letter"),
        (("EUR", "USD", "1.1", "--date", "2026-13-01"), "--date"),
        (("EUR", "eur", "1"), "two different currencies"),
    ],
)
def test_fx_set_bad_input_exits_2(cli: Any, args: tuple[str, ...], needle: str) -> None:
    result = cli("fx", "set", *args)
    assert result.exit_code == 2
    assert needle in result.stderr


def test_fx_import_csv_all_or_nothing(cli: Any, tmp_path: Path) -> None:
    good = tmp_path / "rates.csv"
    good.write_text("base,quote,date,rate\nUSD,EUR,2026-01-31,0.91\nGBP,EUR,2026-01-31,1.17\n")
    assert cli("fx", "import", str(good)).exit_code == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("base,quote,date,rate\nCHF,EUR,2026-01-31,1.05\nSEK,EUR,31/01/2026,0.09\n")
    result = cli("fx", "import", str(bad))
    assert result.exit_code == 1
    assert "bad.csv line 3" in result.stderr and "YYYY-MM-DD" in result.stderr
    assert len(json.loads(cli("fx", "list", "--json").stdout)) == 2
    same = tmp_path / "same.csv"
    same.write_text("base,quote,date,rate\nCHF,EUR,2026-01-31,1.05\nEUR,EUR,2026-01-31,1\n")
    result = cli("fx", "import", str(same))
    assert result.exit_code == 1 and "same.csv line 3" in result.stderr
    assert "two different currencies" in result.stderr


def test_rate_on_or_before_the_day_and_inverse_pair(session: Session) -> None:
    set_rate(session=session, base="USD", quote="EUR", day=date(2026, 1, 31), rate=Decimal("0.8"))
    set_rate(session=session, base="USD", quote="EUR", day=date(2026, 3, 1), rate=Decimal("0.9"))
    table = FxTable.load(session=session)
    assert table.rate("USD", "EUR", date(2026, 2, 28)) == Decimal("0.8")
    assert table.rate("USD", "EUR", date(2026, 3, 1)) == Decimal("0.9")
    assert table.rate("EUR", "USD", date(2026, 2, 1)) == Decimal(1) / Decimal("0.8")
    with pytest.raises(MissingFxRateError) as missing:
        table.rate("USD", "EUR", date(2026, 1, 30))
    assert str(missing.value).startswith("no FX rate USD→EUR on or before 2026-01-30; add one")
    with pytest.raises(MissingFxRateError, match="more than 366 days older"):
        table.rate("USD", "EUR", date(2027, 6, 30))


def test_report_with_missing_rate_exits_1_naming_pair_and_date(
    committed_db: Database, cli: Any, tmp_path: Path
) -> None:
    with Session(committed_db.engine) as s:
        app = application(s, "Tool", "Toolco")
        contract(s, app, "T-1", total_cost="1200", currency="USD", end_date=date(2026, 12, 31))
        s.commit()
    out = tmp_path / "spend.xlsx"
    result = cli(
        "report",
        "spend",
        "--by",
        "vendor",
        "--from",
        "2026-01",
        "--to",
        "2026-03",
        "--format",
        "xlsx",
        "--out",
        str(out),
    )
    assert result.exit_code == 1
    assert (
        "no FX rate USD→EUR on or before 2026-01-31; "
        "add one with `seatwise fx set USD EUR RATE --date 2026-01-31`" in result.stderr
    )
    assert list(tmp_path.iterdir()) == []
