"""Bad input to `seatwise report`: usage errors exit 2; no failed export leaves a file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.spend import export
from app.spend.service import SpendReport


def test_unknown_grouping_exits_2_listing_the_valid_ones(cli: Any) -> None:
    result = cli("report", "spend", "--by", "planet", "--from", "2026-01", "--to", "2026-02")
    assert result.exit_code == 2
    assert "planet" in result.stderr
    for name in ("app", "vendor", "category", "department", "cost_centre", "person"):
        assert name in result.stderr


def test_from_after_to_exits_2(cli: Any) -> None:
    result = cli("report", "spend", "--by", "app", "--from", "2026-05", "--to", "2026-02")
    assert result.exit_code == 2
    assert "after --to" in result.stderr


@pytest.mark.parametrize("month", ["2026-13", "26-01", "January"])
def test_malformed_month_exits_2(cli: Any, month: str) -> None:
    result = cli("report", "spend", "--from", month, "--to", "2026-12")
    assert result.exit_code == 2
    assert "YYYY-MM" in result.stderr


def test_unknown_format_exits_2_listing_formats(cli: Any) -> None:
    result = cli("report", "spend", "--format", "pdf")
    assert result.exit_code == 2
    assert "json, csv, xlsx" in result.stderr


def test_csv_with_two_groupings_exits_2(cli: Any) -> None:
    result = cli("report", "spend", "--by", "app,vendor", "--format", "csv")
    assert result.exit_code == 2


def test_empty_report_is_valid_with_zero_totals(cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "empty.csv"
    result = cli(
        "report",
        "spend",
        "--from",
        "2026-01",
        "--to",
        "2026-02",
        "--format",
        "csv",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.stderr
    assert out.read_text(encoding="utf-8") == "app,2026-01,2026-02,total\nTotal,0.00,0.00,0.00\n"


def test_failed_export_leaves_no_file_and_keeps_an_old_one(tmp_path: Path) -> None:
    target = tmp_path / "report.xlsx"
    target.write_bytes(b"old")

    def broken() -> bytes:
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        export.write_atomic(target, broken)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.xlsx"]
    fresh = tmp_path / "new.xlsx"
    with pytest.raises(RuntimeError):
        export.write_atomic(fresh, broken)
    assert not fresh.exists()
    report = SpendReport("EUR", 2026 * 12, 2026 * 12, "app", [])
    export.write_atomic(fresh, lambda: export.render([report], "xlsx"))
    assert fresh.read_bytes()[:2] == b"PK"
