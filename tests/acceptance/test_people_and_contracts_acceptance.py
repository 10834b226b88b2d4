"""Identity across sources and contracts/invoices (issue 4), through the real CLI."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests.acceptance.company import E3, PBI
from tests.acceptance.conftest import Vendors, add_connector, as_json
from tests.acceptance.inventory_checks import products_by_id

STD = "Google-Apps/1010020028"
VAULT = "Google-Vault/Google-Vault"

# email: ({(connector, status)}, {(connector, product external id)})
EXPECTED_PEOPLE: dict[str, tuple[set[tuple[str, str]], set[tuple[str, str]]]] = {
    "ana@example.com": (
        {("m365", "active"), ("gws", "active"), ("slack", "active")},
        {("m365", E3), ("m365", PBI), ("gws", STD), ("gws", VAULT), ("slack", "T0ACME")},
    ),
    "ben@example.com": (
        {("m365", "active"), ("gws", "suspended"), ("slack", "deleted")},
        {("m365", E3), ("gws", STD)},
    ),
    "cara@example.com": (
        {("m365", "suspended"), ("gws", "suspended"), ("slack", "active")},
        {("m365", E3), ("gws", STD), ("slack", "T0ACME")},
    ),
    "dan@partner.example": ({("m365", "active"), ("slack", "active")}, set()),
    # Eve's Slack profile has no e-mail: that account cannot join her
    "eve@example.com": (
        {("m365", "active"), ("gws", "active")},
        {("m365", E3), ("gws", "Google-Apps/1010020027")},
    ),
    "otto@example.com": ({("gws", "suspended")}, {("gws", VAULT)}),
    "pat@example.com": ({("slack", "active")}, {("slack", "T0ACME")}),
}
EVERYONE = {
    "ana@example.com",
    "ben@example.com",
    "cara@example.com",
    "dan@partner.example",
    "eve@example.com",
    "finn@example.com",
    "gus@example.com",
    "hana@example.com",
    "ivan@example.com",
    "jo@example.com",
    "kai@example.com",
    "lea@example.com",
    "nora@example.com",
    "otto@example.com",
    "pat@example.com",
    "rob@example.com",
    "shared@example.com",
}

CONTRACT_HEADER = (
    "contract_number,vendor,application,product,start_date,renewal_date,"
    "auto_renew,notice_days,seats,unit_price,total_cost,currency,owner_email,"
    "is_trial"
)
CONTRACTS = [
    "G-2026-01,Google,Google Workspace,Google-Apps/1010020028,2025-12-01,2026-12-01,yes,30,"
    "10,12.00,1440.00,USD,it@example.com,no",
    "M-2026-07,Microsoft,Microsoft 365,ENTERPRISEPACK,2026-01-15,2027-01-15,true,90,15,"
    "23.00,4140.00,EUR,Finance@Example.com,false",
    "S-2026-03,Slack,Slack,T0ACME,2026-11-01,2026-12-15,no,0,8,8.75,,USD,,yes",
]
EXPECTED_SUBSCRIPTIONS = {
    ("Google", "G-2026-01"): {
        "application": "Google Workspace",
        "product": "Google-Apps/1010020028",
        "renewal_date": "2026-12-01",
        "auto_renew": True,
        "notice_days": 30,
        "notice_deadline": "2026-11-01",
        "seats": 10,
        "unit_price": Decimal("12.00"),
        "total_cost": Decimal("1440.00"),
        "currency": "USD",
        "owner_email": "it@example.com",
        "is_trial": False,
    },
    ("Microsoft", "M-2026-07"): {
        "application": "Microsoft 365",
        "product": "ENTERPRISEPACK",
        "renewal_date": "2027-01-15",
        "auto_renew": True,
        "notice_days": 90,
        "notice_deadline": "2026-10-17",
        "seats": 15,
        "unit_price": Decimal("23.00"),
        "total_cost": Decimal("4140.00"),
        "currency": "EUR",
        "owner_email": "finance@example.com",
        "is_trial": False,
    },
    ("Slack", "S-2026-03"): {
        "application": "Slack",
        "product": "T0ACME",
        "renewal_date": "2026-12-15",
        "auto_renew": False,
        "notice_days": 0,
        "notice_deadline": "2026-12-15",
        "seats": 8,
        "unit_price": Decimal("8.75"),
        "currency": "USD",
        "owner_email": None,
        "is_trial": True,
    },
}


def _sync_all(cli: Any, vendors: Vendors) -> None:
    add_connector(cli, "microsoft365", "m365", vendors.m365_config(identity_provider=True))
    add_connector(cli, "google_workspace", "gws", vendors.google_config())
    add_connector(cli, "slack", "slack", vendors.slack_config())
    runs = as_json(cli("sync", "--json"))
    assert {(r["connector"], r["status"]) for r in runs} == {
        ("m365", "succeeded"),
        ("gws", "succeeded"),
        ("slack", "succeeded"),
    }, runs


def _subscriptions(cli: Any) -> dict[tuple[str, str], dict[str, Any]]:
    rows = as_json(cli("subscriptions", "list", "--json"))
    return {(r["vendor"], r["contract_number"]): r for r in rows}


def _money(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for key in ("unit_price", "total_cost"):
        if out.get(key) is not None:
            assert isinstance(out[key], str), f"{key} must be a decimal string: {out[key]!r}"
            out[key] = Decimal(out[key])
    return out


def test_people_join_accounts_across_sources_by_lowercased_email(
    cli: Any, fresh_vendors: Vendors
) -> None:
    _sync_all(cli, fresh_vendors)
    people = {p["email"]: p for p in as_json(cli("people", "list", "--json"))}
    assert set(people) == EVERYONE
    for email, (accounts, licences) in EXPECTED_PEOPLE.items():
        person = people[email]
        got_accounts = {(a["connector"], a["status"]) for a in person["accounts"]}
        got_licences = {(lic["connector"], lic["external_id"]) for lic in person["licences"]}
        assert (got_accounts, got_licences) == (accounts, licences), email
    assert people["ana@example.com"]["display_name"] == "Ana Ruiz"
    # the identity provider (Microsoft 365) has suspended Cara while Slack still bills her
    assert people["cara@example.com"]["status"] == "leaver"
    assert people["ben@example.com"]["status"] == "active"


def _write_csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_contracts_import_lists_with_notice_deadlines_and_fill_missing_seat_counts(
    cli: Any, fresh_vendors: Vendors, tmp_path: Path
) -> None:
    _sync_all(cli, fresh_vendors)
    file = _write_csv(tmp_path / "contracts.csv", CONTRACT_HEADER, CONTRACTS)
    assert cli("import", "contracts", str(file)).exit_code == 0
    subs = _subscriptions(cli)
    assert set(subs) == set(EXPECTED_SUBSCRIPTIONS)
    for key, expected in EXPECTED_SUBSCRIPTIONS.items():
        got = _money(subs[key])
        assert {k: got.get(k) for k in expected} == expected, key
    _assert_contract_seats(cli)

    again = cli("import", "contracts", str(file))
    assert again.exit_code == 0
    assert _subscriptions(cli) == subs


def _assert_contract_seats(cli: Any) -> None:
    products = as_json(cli("inventory", "products", "--json"))
    assert products_by_id(products, "gws")[STD]["seats_purchased"] == 10  # from the contract
    assert products_by_id(products, "gws")[VAULT]["seats_purchased"] is None
    assert products_by_id(products, "m365")[E3]["seats_purchased"] == 12  # vendor's figure wins
    assert products_by_id(products, "slack")["T0ACME"]["seats_purchased"] == 8


def test_contract_imported_before_the_first_sync_gives_its_seats_after_the_sync(
    cli: Any, fresh_vendors: Vendors, tmp_path: Path
) -> None:
    file = _write_csv(tmp_path / "contracts.csv", CONTRACT_HEADER, CONTRACTS)
    assert cli("import", "contracts", str(file)).exit_code == 0
    _sync_all(cli, fresh_vendors)
    _assert_contract_seats(cli)


@pytest.mark.sqlite_only
def test_contracts_from_a_one_sheet_xlsx(cli: Any, fresh_vendors: Vendors, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(CONTRACT_HEADER.split(","))
    sheet.append(CONTRACTS[0].split(","))
    path = tmp_path / "contracts.xlsx"
    book.save(path)
    result = cli("import", "contracts", str(path))
    assert result.exit_code == 0, result.stderr
    assert set(_subscriptions(cli)) == {("Google", "G-2026-01")}


@pytest.mark.sqlite_only
def test_workbook_with_an_extra_sheet_is_refused_naming_the_sheets(
    cli: Any, fresh_vendors: Vendors, tmp_path: Path
) -> None:
    """The issue lists "an XLSX with an extra sheet" among the bad inputs: refused, nothing
    written (rather than guessing which sheet the user meant)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(CONTRACT_HEADER.split(","))
    sheet.append(CONTRACTS[0].split(","))
    other = book.create_sheet("Notes")
    other.append(["contract_number", "vendor"])
    other.append(["IGNORED-1", "Nobody"])
    path = tmp_path / "contracts.xlsx"
    book.save(path)
    result = cli("import", "contracts", str(path))
    assert result.exit_code == 1
    assert "Notes" in result.stderr
    assert set(_subscriptions(cli)) == set()


@pytest.mark.sqlite_only
def test_bad_contract_file_imports_nothing_and_names_row_and_column(
    cli: Any, fresh_vendors: Vendors, tmp_path: Path
) -> None:
    rows = [
        CONTRACTS[0],
        "B-1,Acme,Acme CRM,,2026-01-01,2026-13-01,no,30,5,10.00,,USD,,no",  # bad month
        "B-2,Acme,Acme CRM,,2026-01-01,2027-01-01,no,30,5,10.00,,,,no",  # no currency
    ]
    file = _write_csv(tmp_path / "bad.csv", CONTRACT_HEADER, rows)
    result = cli("import", "contracts", str(file))
    assert result.exit_code == 1
    text = result.stderr + result.stdout
    lines = re.findall(r"row (\d+), column (\w+): \S", text)
    assert ("3", "renewal_date") in lines and ("4", "currency") in lines, text
    assert _subscriptions(cli) == {}


INVOICE_HEADER = (
    "invoice_number,vendor,application,contract_number,invoice_date,"
    "period_start,period_end,amount,currency"
)


@pytest.mark.sqlite_only
def test_invoices_import_is_keyed_by_vendor_and_number_and_all_or_nothing(
    cli: Any, fresh_vendors: Vendors, tmp_path: Path
) -> None:
    contracts = _write_csv(tmp_path / "contracts.csv", CONTRACT_HEADER, CONTRACTS)
    assert cli("import", "contracts", str(contracts)).exit_code == 0
    rows = [
        "INV-100,Google,Google Workspace,G-2026-01,2026-01-05,2025-12-01,2026-11-30,1440.00,USD",
        # same number, other vendor: a different invoice
        "INV-100,Slack,Slack,S-2026-03,2026-11-02,2026-11-01,2026-11-30,70.00,USD",
        "CN-7,Microsoft,Microsoft 365,M-2026-07,2026-02-01,,,-46.00,EUR",  # credit note
    ]
    invoices = _write_csv(tmp_path / "invoices.csv", INVOICE_HEADER, rows)
    first = as_json(cli("import", "invoices", str(invoices), "--json"))
    again = as_json(cli("import", "invoices", str(invoices), "--json"))
    assert _counts(first) == (3, 0, 0), first
    assert _counts(again) == (0, 0, 3), again
    changed = _write_csv(
        tmp_path / "changed.csv", INVOICE_HEADER, [rows[0].replace("1440.00", "1450.00"), *rows[1:]]
    )
    assert _counts(as_json(cli("import", "invoices", str(changed), "--json"))) == (0, 1, 2)
    assert _counts(as_json(cli("import", "invoices", str(invoices), "--json"))) == (0, 1, 2)

    bad_date = _write_csv(
        tmp_path / "bad_date.csv",
        INVOICE_HEADER,
        [
            rows[0].replace("1440.00", "1500.00"),
            "INV-201,Google,Google Workspace,,2026-02-31,,,12.00,USD",
        ],
    )
    refused = cli("import", "invoices", str(bad_date))
    assert refused.exit_code == 1
    assert re.search(r"row 3, column invoice_date: \S", refused.stderr), refused.stderr
    no_contract = _write_csv(
        tmp_path / "no_contract.csv",
        INVOICE_HEADER,
        [
            rows[0].replace("1440.00", "1500.00"),
            "INV-200,Google,Google Workspace,NO-SUCH,2026-02-05,,,12.00,USD",
        ],
    )
    refused = cli("import", "invoices", str(no_contract))
    assert refused.exit_code == 1
    assert re.search(r"row 3, column contract_number: \S", refused.stderr), refused.stderr
    unchanged = as_json(cli("import", "invoices", str(invoices), "--json"))
    assert _counts(unchanged) == (0, 0, 3), "the refused files must have changed nothing"


def _counts(result: dict[str, Any]) -> tuple[int, int, int]:
    return (int(result["created"]), int(result["updated"]), int(result["unchanged"]))
