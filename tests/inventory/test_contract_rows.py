"""Reading and validating contract files (no database): every bad input named precisely."""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal

import pytest

from app.inventory.contract_rows import parse_contracts
from app.inventory.import_files import ImportRefused
from tests.inventory.contract_files import (
    CONTRACT_HEADER,
    contract,
    csv_bytes,
    xlsx_bytes,
    xlsx_contract_row,
)


def refusal(data: bytes, **kwargs: bool) -> list[str]:
    with pytest.raises(ImportRefused) as caught:
        parse_contracts(data, **kwargs)
    return [str(p) for p in caught.value.problems]


def test_valid_csv_reads_typed_values() -> None:
    (row,) = parse_contracts(csv_bytes([contract()]))
    assert row.row == 2
    assert row.start_date == date(2026, 1, 1) and row.renewal_date == date(2027, 1, 1)
    assert row.auto_renew is True and row.is_trial is False
    assert row.notice_days == 30 and row.seats == 50
    assert row.unit_price == Decimal("120.00") and row.total_cost == Decimal("6000.00")
    assert row.currency == "EUR" and row.owner_email == "owner@acme.example"
    assert row.product is None and row.notes is None


def test_bad_date_names_row_and_column() -> None:
    data = csv_bytes([contract(), contract(contract_number="C-2", start_date="31/12/2026")])
    assert refusal(data) == [
        "row 3, column start_date: '31/12/2026' is not an ISO date; write it as 2026-12-31 "
        "(YYYY-MM-DD), or save the file as XLSX with real date cells"
    ]


def test_impossible_date_is_refused() -> None:
    assert refusal(csv_bytes([contract(end_date="2026-02-30")])) == [
        "row 2, column end_date: '2026-02-30' is not a real date (day is out of range for month)"
    ]


def test_unknown_currency_code_is_refused() -> None:
    assert refusal(csv_bytes([contract(currency="EUX")])) == [
        "row 2, column currency: unknown currency code 'EUX'; use ISO 4217 (EUR, USD, GBP)"
    ]


def test_currency_code_in_lower_case_is_accepted() -> None:
    (row,) = parse_contracts(csv_bytes([contract(currency="usd")]))
    assert row.currency == "USD"


def test_negative_seat_count_is_refused() -> None:
    assert refusal(csv_bytes([contract(seats="-5")])) == [
        "row 2, column seats: must not be negative, got -5"
    ]


def test_duplicate_contract_number_in_one_file_names_both_rows() -> None:
    data = csv_bytes([contract(), contract(contract_number="C-2"), contract(vendor=" atlassian ")])
    assert refusal(data) == [
        "row 4, column contract_number: duplicate contract number 'C-100' for vendor "
        "'atlassian' (also on row 2)"
    ]


def test_same_contract_number_of_two_vendors_is_fine() -> None:
    rows = parse_contracts(csv_bytes([contract(), contract(vendor="Slack Technologies")]))
    assert len(rows) == 2


def test_missing_required_column_is_refused() -> None:
    header = [c for c in CONTRACT_HEADER if c != "currency"]
    assert refusal(csv_bytes([contract()], header=header)) == [
        "row 1, column currency: required column is missing"
    ]


def test_unknown_column_is_refused_naming_it() -> None:
    data = csv_bytes([{**contract(), "renewl_date": "2027-01-01"}])
    (line,) = refusal(data)
    assert line.startswith("row 1, column renewl_date: unknown column (column T); expected: ")


def test_column_names_match_case_insensitively_and_trimmed() -> None:
    header = [" Contract Number ", "VENDOR", "Application", "start-date", "Currency", "Unit_Price"]
    data = b"\n".join([",".join(header).encode(), b"C-1,Atlassian,Jira,2026-03-01,EUR,10"])
    (row,) = parse_contracts(data)
    assert row.contract_number == "C-1" and row.unit_price == Decimal("10")


def test_required_value_missing_in_row() -> None:
    assert refusal(csv_bytes([contract(vendor="")])) == [
        "row 2, column vendor: a value is required"
    ]


def test_every_problem_is_listed_not_only_the_first() -> None:
    data = csv_bytes(
        [
            contract(start_date="tomorrow", seats="ten"),
            contract(contract_number="C-2", currency="XYZ", auto_renew="maybe"),
        ]
    )
    assert refusal(data) == [
        "row 2, column start_date: 'tomorrow' is not a date; write it as YYYY-MM-DD "
        "(e.g. 2026-12-31)",
        "row 2, column seats: expected a whole number, got 'ten'",
        "row 3, column auto_renew: 'maybe' is not yes/no/true/false/1/0",
        "row 3, column currency: unknown currency code 'XYZ'; use ISO 4217 (EUR, USD, GBP)",
    ]


def test_xlsx_with_extra_sheet_is_refused_naming_the_sheets() -> None:
    data = xlsx_bytes([xlsx_contract_row()], CONTRACT_HEADER, extra_sheets=("Notes",))
    assert refusal(data) == [
        "the workbook has 2 sheets ('Contracts', 'Notes'); Seatwise reads exactly one, "
        "so delete the others (or save the sheet as CSV)"
    ]


def test_binary_file_is_not_a_csv_file() -> None:
    data = b"\x89PNG\r\n\x1a\n" + os.urandom(256) + b"\x00\x00"
    assert refusal(data) == [
        "not a CSV file: it holds binary data (NUL bytes); upload a CSV or XLSX file"
    ]


def test_text_without_contract_columns_is_not_a_csv_file_of_contracts() -> None:
    data = b"Dear supplier,\nplease find attached our order.\n"
    (line,) = refusal(data)
    assert line.startswith(
        "not a CSV file of contracts: its first row (Dear supplier) has none of the "
        "contracts columns (contract_number, vendor,"
    )


def test_empty_file_is_refused() -> None:
    assert refusal(b"  \n") == ["the file is empty"]


def test_header_without_rows_is_refused() -> None:
    assert refusal(",".join(CONTRACT_HEADER).encode()) == [
        "the file has a header but no contract rows"
    ]


def test_legacy_xls_is_refused_with_what_to_do() -> None:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100
    assert refusal(data) == [
        "this is a legacy Excel .xls file; save it as .xlsx or CSV and import again"
    ]


def test_amounts_with_decimal_comma() -> None:
    data = csv_bytes([contract(unit_price="1.234,56", total_cost="61728,00")], sep=";")
    (row,) = parse_contracts(data, decimal_comma=True)
    assert row.unit_price == Decimal("1234.56") and row.total_cost == Decimal("61728.00")


def test_decimal_comma_amount_without_the_option_is_refused() -> None:
    assert refusal(csv_bytes([contract(unit_price="1.234,56")])) == [
        "row 2, column unit_price: '1.234,56' is not an amount; write 1234.56 or 1,234.56 "
        "(no currency signs; use --decimal-comma for 1.234,56)"
    ]


def test_more_than_four_decimals_is_refused() -> None:
    assert refusal(csv_bytes([contract(unit_price="1.23456")])) == [
        "row 2, column unit_price: '1.23456' has more than 4 decimal places"
    ]


def test_negative_price_is_refused() -> None:
    assert refusal(csv_bytes([contract(total_cost="-1")])) == [
        "row 2, column total_cost: must not be negative, got -1"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("yes", True), ("No", False), ("TRUE", True), ("false", False), ("1", True), ("0", False)],
)
def test_booleans_read_yes_no_true_false_one_zero(text: str, expected: bool) -> None:
    (row,) = parse_contracts(csv_bytes([contract(auto_renew=text, is_trial=text)]))
    assert row.auto_renew is expected and row.is_trial is expected


def test_xlsx_real_excel_dates_and_numbers() -> None:
    (row,) = parse_contracts(xlsx_bytes([xlsx_contract_row()], CONTRACT_HEADER))
    assert row.start_date == date(2026, 1, 1) and row.end_date == date(2026, 12, 31)
    assert row.renewal_date == date(2027, 1, 1)
    assert row.unit_price == Decimal("120.0") and row.total_cost == Decimal("6000")
    assert row.auto_renew is True and row.seats == 50 and row.notice_days == 30


def test_xlsx_date_as_plain_number_is_refused() -> None:
    data = xlsx_bytes([xlsx_contract_row(start_date=46023)], CONTRACT_HEADER)
    assert refusal(data) == [
        "row 2, column start_date: expected a date, got the number 46023; format the cell "
        "as a date or write YYYY-MM-DD"
    ]


def test_empty_lines_are_skipped_but_counted() -> None:
    text = (
        csv_bytes([contract()]).decode()
        + "\n,,,\n"
        + csv_bytes([contract(contract_number="C-2", seats="x")]).decode().split("\n", 1)[1]
    )
    # Row 3 is blank and row 4 holds only separators: both skipped, both counted.
    assert refusal(text.encode()) == ["row 5, column seats: expected a whole number, got 'x'"]


def test_renewal_date_defaults_to_day_after_end_date() -> None:
    (row,) = parse_contracts(csv_bytes([contract(renewal_date="", auto_renew="no")]))
    assert row.renewal_date == date(2027, 1, 1)


def test_defaults_for_empty_optional_cells() -> None:
    (row,) = parse_contracts(
        csv_bytes(
            [
                contract(
                    end_date="",
                    renewal_date="",
                    auto_renew="",
                    notice_days="",
                    billing_cycle="",
                    is_trial="",
                )
            ]
        )
    )
    assert row.renewal_date is None and row.auto_renew is False and row.notice_days == 0
    assert row.billing_cycle == "annual" and row.is_trial is False


def test_unknown_billing_cycle_is_refused() -> None:
    assert refusal(csv_bytes([contract(billing_cycle="weekly")])) == [
        "row 2, column billing_cycle: 'weekly' is not one of monthly, quarterly, annual, "
        "biennial, triennial"
    ]


def test_paid_contract_needs_a_price_but_a_trial_does_not() -> None:
    assert refusal(csv_bytes([contract(unit_price="", total_cost="")])) == [
        "row 2, column unit_price: give unit_price or total_cost (only trials may be unpriced)"
    ]
    (trial,) = parse_contracts(csv_bytes([contract(unit_price="", total_cost="", is_trial="yes")]))
    assert trial.is_trial and trial.unit_price is None


def test_end_date_before_start_date_is_refused() -> None:
    assert refusal(csv_bytes([contract(end_date="2025-12-31", renewal_date="")])) == [
        "row 2, column end_date: 2025-12-31 is before start_date 2026-01-01"
    ]


def test_bad_owner_email_is_refused() -> None:
    (line,) = refusal(csv_bytes([contract(owner_email="owner-at-acme")]))
    assert line.startswith("row 2, column owner_email: 'owner-at-acme' is not an e-mail address")


def test_windows_1252_csv_with_bom_less_accents_is_read() -> None:
    data = csv_bytes([contract(notes="Négociation en cours")]).decode().encode("cp1252")
    (row,) = parse_contracts(data)
    assert row.notes == "Négociation en cours"
