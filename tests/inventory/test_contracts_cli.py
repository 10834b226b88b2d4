"""`seatwise import ...` and `seatwise subscriptions list` end to end against the test DB."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.inventory.contract_files import (
    CONTRACT_HEADER,
    contract,
    csv_bytes,
    invoice,
    xlsx_bytes,
    xlsx_contract_row,
)


def _ods_bytes() -> bytes:
    """An OpenDocument spreadsheet as LibreOffice starts one: "mimetype" first, stored."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>", zipfile.ZIP_DEFLATED)
    return out.getvalue()


BAD_FILES: dict[str, tuple[bytes, list[str]]] = {
    "bad_date": (
        csv_bytes([contract(), contract(contract_number="C-2", end_date="2026-13-01")]),
        ["row 3, column end_date: '2026-13-01' is not a real date (month must be in 1..12)"],
    ),
    "unknown_currency": (
        csv_bytes([contract(currency="ABC")]),
        ["row 2, column currency: unknown currency code 'ABC'; use ISO 4217 (EUR, USD, GBP)"],
    ),
    "negative_seats": (
        csv_bytes([contract(seats="-1")]),
        ["row 2, column seats: must not be negative, got -1"],
    ),
    "duplicate_contract_number": (
        csv_bytes([contract(), contract()]),
        [
            "row 3, column contract_number: duplicate contract number 'C-100' for vendor "
            "'Atlassian' (also on row 2)"
        ],
    ),
    "missing_required_column": (
        csv_bytes([contract()], header=[c for c in CONTRACT_HEADER if c != "start_date"]),
        ["row 1, column start_date: required column is missing"],
    ),
    "xlsx_extra_sheet": (
        xlsx_bytes([xlsx_contract_row()], CONTRACT_HEADER, extra_sheets=("Sheet2",)),
        [
            "the workbook has 2 sheets ('Contracts', 'Sheet2'); Seatwise reads exactly one, "
            "so delete the others (or save the sheet as CSV)"
        ],
    ),
    "ods": (
        _ods_bytes(),
        ["this is an OpenDocument spreadsheet (.ods); save it as .xlsx or CSV and import again"],
    ),
    "not_csv": (
        bytes(range(256)) * 4,
        ["not a CSV file: it holds binary data (NUL bytes); upload a CSV or XLSX file"],
    ),
}


@pytest.fixture
def bare_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> Any:
    """Run `seatwise` for commands that never open the database (no truncation cost)."""
    from app.core import cli_runtime

    monkeypatch.setenv("SEATWISE_DATABASE_URL", f"sqlite:///{tmp_path / 'unused.db'}")
    monkeypatch.setenv("SEATWISE_SECRET_KEY", "test-secret-key-" + "x" * 32)

    def run(*args: str) -> tuple[int, str, str]:
        from app.cli import main

        cli_runtime.state._settings = None
        cli_runtime.state._engine = None
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        return code, out, err

    return run


def _listing(cli: Any) -> list[dict[str, Any]]:
    result = cli("subscriptions", "list", "--json")
    assert result.exit_code == 0, result.stderr
    listing: list[dict[str, Any]] = json.loads(result.stdout)
    return listing


def test_bad_contract_files_exit_1_listing_problems_and_write_nothing(
    cli: Any, tmp_path: Path
) -> None:
    # One test over every case: each CLI test pays a database truncation, and the
    # messages themselves are also pinned one test per case in test_contract_rows.py.
    for case, (data, expected) in BAD_FILES.items():
        path = tmp_path / (f"{case}.xlsx" if case.startswith("xlsx") else f"{case}.csv")
        path.write_bytes(data)
        result = cli("import", "contracts", str(path))
        assert result.exit_code == 1, case
        lines = result.stderr.strip().splitlines()
        assert lines[:-1] == expected, case
        assert lines[-1].startswith(
            f"seatwise: error: {path}: contracts file refused, nothing imported"
        ), case
        assert _listing(cli) == [], case


def test_refused_file_with_json_prints_every_problem_as_json(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(csv_bytes([contract(seats="-1"), contract(contract_number="C-2")]))
    result = cli("import", "contracts", str(path), "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "file": str(path),
        "detail": "contracts file refused, nothing imported: row 2, column seats: must not "
        "be negative, got -1",
        "errors": [{"row": 2, "column": "seats", "problem": "must not be negative, got -1"}],
    }
    assert _listing(cli) == []


def test_all_problems_printed_not_only_the_first(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(csv_bytes([contract(seats="-1", currency="ABC"), contract()]))
    result = cli("import", "contracts", str(path))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:3] == [
        "row 2, column seats: must not be negative, got -1",
        "row 2, column currency: unknown currency code 'ABC'; use ISO 4217 (EUR, USD, GBP)",
        "row 3, column contract_number: duplicate contract number 'C-100' for vendor "
        "'Atlassian' (also on row 2)",
    ]


def test_contracts_and_invoices_import_then_list_expected_figures(cli: Any, tmp_path: Path) -> None:
    contracts = tmp_path / "contracts.csv"
    contracts.write_bytes(
        csv_bytes(
            [
                contract(),
                contract(
                    contract_number="GW-1",
                    vendor="Google",
                    application="Google Workspace",
                    product="1010020028",
                    renewal_date="",
                    end_date="2027-03-31",
                    notice_days="",
                    auto_renew="no",
                    billing_cycle="monthly",
                    seats="12",
                    unit_price="",
                    total_cost="172.80",
                    currency="USD",
                    owner_email="IT@Acme.Example",
                    is_trial="false",
                ),
            ]
        )
    )
    first = cli("import", "contracts", str(contracts), "--json")
    assert first.exit_code == 0, first.stderr
    assert json.loads(first.stdout)["created"] == 2
    again = cli("import", "contracts", str(contracts), "--json")
    assert json.loads(again.stdout)["unchanged"] == 2
    invoices = tmp_path / "invoices.csv"
    invoices.write_bytes(csv_bytes([invoice(), invoice(invoice_number="INV-2")]))
    result = cli("import", "invoices", str(invoices))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "invoices: 2 created, 0 updated, 0 unchanged"
    assert cli("import", "invoices", str(invoices)).stdout.strip() == (
        "invoices: 0 created, 0 updated, 2 unchanged"
    )
    listing = _listing(cli)
    assert len({row.pop("id") for row in listing}) == 2  # what PATCH /contracts/{id} takes
    assert listing == [
        {
            "contract_number": "C-100",
            "vendor": "Atlassian",
            "application": "Jira",
            "product": None,
            "renewal_date": "2027-01-01",
            "auto_renew": True,
            "notice_days": 30,
            "notice_deadline": "2026-12-02",
            "seats": 50,
            "unit_price": "120.00",
            "total_cost": "6000.00",
            "currency": "EUR",
            "owner_email": "owner@acme.example",
            "is_trial": False,
        },
        {
            "contract_number": "GW-1",
            "vendor": "Google",
            "application": "Google Workspace",
            "product": "1010020028",
            "renewal_date": "2027-04-01",
            "auto_renew": False,
            "notice_days": 0,
            "notice_deadline": "2027-04-01",
            "seats": 12,
            "unit_price": None,
            "total_cost": "172.80",
            "currency": "USD",
            "owner_email": "it@acme.example",
            "is_trial": False,
        },
    ]


def test_decimal_comma_option(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(csv_bytes([contract(unit_price="1.234,5", total_cost="")], sep=";"))
    assert cli("import", "contracts", str(path)).exit_code == 1
    result = cli("import", "contracts", str(path), "--decimal-comma")
    assert result.exit_code == 0, result.stderr
    assert _listing(cli)[0]["unit_price"] == "1234.50"


def test_invoice_for_unknown_contract_exits_1_and_writes_nothing(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "i.csv"
    path.write_bytes(csv_bytes([invoice()]))
    result = cli("import", "invoices", str(path))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "row 2, column contract_number: no contract 'C-100' of vendor 'Atlassian'; "
        "import the contract first"
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_templates_import_cleanly(cli: Any, tmp_path: Path, fmt: str) -> None:
    for kind in ("contracts", "invoices"):
        out = tmp_path / f"{kind}.{fmt}"
        made = cli("import", "template", kind, "--format", fmt, "--out", str(out))
        assert made.exit_code == 0, made.stderr
        imported = cli("import", kind, str(out), "--json")
        assert imported.exit_code == 0, imported.stderr
        assert json.loads(imported.stdout)["created"] == 1
    (row,) = _listing(cli)
    assert row["contract_number"] == "MS-2026-001" and row["notice_deadline"] == "2026-12-02"


def test_template_header_lists_every_contract_column(bare_cli: Any) -> None:
    code, out, _ = bare_cli("import", "template", "contracts", "--out", "-")
    assert code == 0
    assert out.splitlines()[0].split(",") == CONTRACT_HEADER


def test_unknown_template_format_is_a_usage_error(bare_cli: Any) -> None:
    assert bare_cli("import", "template", "contracts", "--format", "pdf")[0] == 2
    assert bare_cli("import", "template", "budgets")[0] == 2


def test_unreadable_file_exits_1(bare_cli: Any, tmp_path: Path) -> None:
    code, _, err = bare_cli("import", "contracts", str(tmp_path / "missing.csv"))
    assert code == 1
    assert "cannot read" in err and "missing.csv" in err


def test_subscriptions_list_text_output(cli: Any, tmp_path: Path) -> None:
    assert "no contracts" in cli("subscriptions", "list").stdout
    path = tmp_path / "c.csv"
    path.write_bytes(
        csv_bytes(
            [
                contract(),
                contract(contract_number="C-101", unit_price="", total_cost="", is_trial="yes"),
            ]
        )
    )
    imported = cli("import", "contracts", str(path))
    assert imported.exit_code == 0, imported.stderr
    lines = cli("subscriptions", "list").stdout.splitlines()
    assert "120.00 per seat EUR" in next(line for line in lines if "C-100" in line)
    assert "no price EUR" in next(line for line in lines if "C-101" in line)
    assert "None" not in "".join(lines)


def test_a_vendor_named_beyond_ascii_is_found_again_on_reimport(cli: Any, tmp_path: Path) -> None:
    """SQLite's lower() folds ASCII only: the exact name must still find the vendor."""
    path = tmp_path / "c.csv"
    path.write_bytes(csv_bytes([contract(vendor="Ünïcødé 名前", application="アプリ")]))
    first = cli("import", "contracts", str(path))
    assert first.exit_code == 0, first.stderr
    path.write_bytes(csv_bytes([contract(vendor="Ünïcødé 名前", application="アプリ", seats="11")]))
    again = cli("import", "contracts", str(path))
    assert again.exit_code == 0, again.stderr
    [row] = _listing(cli)
    assert row["vendor"] == "Ünïcødé 名前" and row["seats"] == 11
