"""Contract files as Excel, LibreOffice and finance systems write them, imported end to end.

Each file is built the way its program saves it (encoding, layout, cell XML), imported
with `seatwise import contracts`, and judged by what `subscriptions list` then shows.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from tests.inventory.contract_files import CONTRACT_HEADER, contract, xlsx_contract_row

EURO_ROW = contract(vendor="Müller Logiciels Société", application="Café Suite", notes="")


def _tsv(rows: list[dict[str, Any]]) -> str:
    lines = ["\t".join(CONTRACT_HEADER)]
    lines += ["\t".join(str(row[c]) for c in CONTRACT_HEADER) for row in rows]
    return "\r\n".join(lines) + "\r\n"


def _workbook(rows: list[list[Any]], *, above: tuple[list[Any], ...] = ()) -> Workbook:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for line in above:
        sheet.append(line)
    sheet.append(CONTRACT_HEADER)
    for row in rows:
        sheet.append(row)
    return workbook


def _saved(workbook: Workbook, cell_xml: dict[str, bytes] | None = None) -> bytes:
    """The workbook's bytes, with the given cells' XML replaced as another program wrote it."""
    out = io.BytesIO()
    workbook.save(out)
    if not cell_xml:
        return out.getvalue()
    patched = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(out.getvalue())) as source,
        zipfile.ZipFile(patched, "w") as target,
    ):
        for name in source.namelist():
            data = source.read(name)
            if name == "xl/worksheets/sheet1.xml":
                for ref, xml in cell_xml.items():
                    data, count = re.subn(
                        rb'<c r="' + ref.encode() + rb'"[^>]*?(/>|>.*?</c>)', xml, data
                    )
                    assert count == 1, ref
            target.writestr(name, data)
    return patched.getvalue()


def _import(cli: Any, tmp_path: Path, name: str, data: bytes, *options: str) -> Any:
    path = tmp_path / name
    path.write_bytes(data)
    return cli("import", "contracts", str(path), *options)


def _listing(cli: Any) -> list[dict[str, Any]]:
    result = cli("subscriptions", "list", "--json")
    assert result.exit_code == 0, result.stderr
    listing: list[dict[str, Any]] = json.loads(result.stdout)
    return listing


def test_excel_unicode_text_utf16_tab_separated_is_imported(cli: Any, tmp_path: Path) -> None:
    # Excel's "Unicode Text (*.txt)": UTF-16 little-endian with a BOM, tabs, CRLF.
    data = _tsv([EURO_ROW]).encode("utf-16")
    result = _import(cli, tmp_path, "contracts.txt", data)
    assert result.exit_code == 0, result.stderr
    (item,) = _listing(cli)
    assert item["vendor"] == "Müller Logiciels Société" and item["application"] == "Café Suite"
    assert item["seats"] == 50 and item["unit_price"] == "120.00"


def test_table_below_a_title_is_found_and_rows_keep_their_sheet_numbers(
    cli: Any, tmp_path: Path
) -> None:
    title = (["Software contracts FY2026 (export 2026-11-30)"], [])
    workbook = _workbook(
        [xlsx_contract_row(), xlsx_contract_row(contract_number="C-2", seats=-3)], above=title
    )
    workbook.active.merge_cells("A1:F1")  # type: ignore[union-attr]
    data = _saved(workbook)
    refused = _import(cli, tmp_path, "titled.xlsx", data)
    assert refused.exit_code == 1
    assert refused.stderr.splitlines()[0] == "row 5, column seats: must not be negative, got -3"
    assert _listing(cli) == []

    fixed = _saved(_workbook([xlsx_contract_row()], above=title))
    assert _import(cli, tmp_path, "titled.xlsx", fixed).exit_code == 0
    assert [i["contract_number"] for i in _listing(cli)] == ["C-100"]


def test_csv_below_a_title_line_without_delimiters_is_read(cli: Any, tmp_path: Path) -> None:
    body = ";".join(CONTRACT_HEADER) + "\n" + ";".join(str(v) for v in contract().values())
    data = ("Contracts export\n\n" + body + "\n").encode()
    result = _import(cli, tmp_path, "titled.csv", data)
    assert result.exit_code == 0, result.stderr
    assert [i["contract_number"] for i in _listing(cli)] == ["C-100"]


def test_formula_saved_without_its_result_is_refused_not_read_as_empty(
    cli: Any, tmp_path: Path
) -> None:
    # A script (openpyxl, a BI export) writes the formula but never calculates it.
    data = _saved(
        _workbook([xlsx_contract_row(total_cost="=K2*L2")]),
        {"M2": b'<c r="M2"><f>K2*L2</f><v></v></c>'},
    )
    result = _import(cli, tmp_path, "uncalculated.xlsx", data)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "row 2, column total_cost: the cell holds the formula =K2*L2 but no saved result "
        "(the file was written without calculating it); open it in Excel or LibreOffice, "
        "save it, and import again"
    )
    assert _listing(cli) == []


def test_formula_results_and_empty_text_results_are_read_as_excel_saved_them(
    cli: Any, tmp_path: Path
) -> None:
    data = _saved(
        _workbook([xlsx_contract_row(total_cost="=K2*L2", notes='=IF(K2>0,"","?")')]),
        {
            "M2": b'<c r="M2"><f>K2*L2</f><v>6000</v></c>',
            "S2": b'<c r="S2" t="str"><f>IF(K2&gt;0,"","?")</f><v></v></c>',
        },
    )
    result = _import(cli, tmp_path, "calculated.xlsx", data)
    assert result.exit_code == 0, result.stderr
    (item,) = _listing(cli)
    assert item["total_cost"] == "6000.00"


def test_cell_showing_an_excel_error_is_refused_naming_it(cli: Any, tmp_path: Path) -> None:
    data = _saved(
        _workbook([xlsx_contract_row(vendor="=VLOOKUP(A2,Vendors!A:B,2,0)")]),
        {"B2": b'<c r="B2" t="e"><f>VLOOKUP(A2,Vendors!A:B,2,0)</f><v>#REF!</v></c>'},
    )
    result = _import(cli, tmp_path, "broken.xlsx", data)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "row 2, column vendor: the cell shows the error #REF!; correct it in the sheet "
        "and import again"
    )
    assert _listing(cli) == []


def test_calculated_amounts_read_at_the_precision_excel_shows(cli: Any, tmp_path: Path) -> None:
    # Excel saves a calculated 0.1 + 0.2 as the double 0.30000000000000004, and
    # 1234.56 * 1 as 1234.5600000000002; the sheet shows 0.3 and 1234.56.
    data = _saved(
        _workbook([xlsx_contract_row(unit_price=0.3, total_cost=1234.56)]),
        {
            "L2": b'<c r="L2"><f>0.1+0.2</f><v>0.30000000000000004</v></c>',
            "M2": b'<c r="M2"><f>1234.56*1</f><v>1234.5600000000002</v></c>',
        },
    )
    result = _import(cli, tmp_path, "calculated.xlsx", data)
    assert result.exit_code == 0, result.stderr
    (item,) = _listing(cli)
    assert (item["unit_price"], item["total_cost"]) == ("0.30", "1234.56")


def test_amounts_with_thousands_separators_as_excel_exports_them(cli: Any, tmp_path: Path) -> None:
    # US/UK Excel writes a "#,##0.00" cell to CSV as "1,234.50" (quoted).
    us = contract(unit_price="1,234.50", total_cost="61,725.00")
    header = ",".join(CONTRACT_HEADER)
    line = ",".join(f'"{us[c]}"' for c in CONTRACT_HEADER)
    result = _import(cli, tmp_path, "us.csv", f"{header}\r\n{line}\r\n".encode())
    assert result.exit_code == 0, result.stderr
    (item,) = _listing(cli)
    assert (item["unit_price"], item["total_cost"]) == ("1234.50", "61725.00")

    # French Excel: Windows-1252, ";" and digits grouped with a non-breaking space.
    fr = contract(contract_number="C-FR", unit_price="1\u00a0234,50", total_cost="61\u00a0725")
    text = ";".join(CONTRACT_HEADER) + "\r\n" + ";".join(fr[c] for c in CONTRACT_HEADER)
    result = _import(cli, tmp_path, "fr.csv", text.encode("cp1252"), "--decimal-comma")
    assert result.exit_code == 0, result.stderr
    (french,) = [i for i in _listing(cli) if i["contract_number"] == "C-FR"]
    assert (french["unit_price"], french["total_cost"]) == ("1234.50", "61725.00")


def test_a_leading_zero_is_never_a_thousands_group(cli: Any, tmp_path: Path) -> None:
    # "0,125" is a decimal comma, "0.125" a decimal point: neither is 125.
    refused = _import(cli, tmp_path, "a.csv", _tsv([contract(unit_price="0,125")]).encode("utf-8"))
    assert refused.exit_code == 1
    assert refused.stderr.splitlines()[0].startswith(
        "row 2, column unit_price: '0,125' is not an amount"
    )
    comma = _import(
        cli, tmp_path, "b.csv", _tsv([contract(unit_price="0.125")]).encode(), "--decimal-comma"
    )
    assert comma.exit_code == 1
    assert comma.stderr.splitlines()[0].startswith(
        "row 2, column unit_price: '0.125' is not an amount"
    )
    assert _listing(cli) == []


def test_semicolon_csv_below_a_title_holding_a_comma_is_read(cli: Any, tmp_path: Path) -> None:
    # German Excel: ";" between cells, and the sheet's title above the table.
    body = ";".join(CONTRACT_HEADER) + "\r\n" + ";".join(contract().values())
    data = ("Verträge - Müller, Schmidt & Co\r\n\r\n" + body + "\r\n").encode("cp1252")
    result = _import(cli, tmp_path, "vertraege.csv", data)
    assert result.exit_code == 0, result.stderr
    assert [i["contract_number"] for i in _listing(cli)] == ["C-100"]


def test_seat_counts_with_thousands_separators_as_excel_exports_them(
    cli: Any, tmp_path: Path
) -> None:
    us = contract(seats="1,200", unit_price="10", total_cost="12,000.00")
    header = ",".join(CONTRACT_HEADER)
    line = ",".join(f'"{us[c]}"' for c in CONTRACT_HEADER)
    result = _import(cli, tmp_path, "us.csv", f"{header}\r\n{line}\r\n".encode())
    assert result.exit_code == 0, result.stderr
    de = contract(contract_number="C-DE", seats="2.500", unit_price="10", total_cost="25.000,00")
    text = ";".join(CONTRACT_HEADER) + "\r\n" + ";".join(de[c] for c in CONTRACT_HEADER)
    result = _import(cli, tmp_path, "de.csv", text.encode("cp1252"), "--decimal-comma")
    assert result.exit_code == 0, result.stderr
    seats = {i["contract_number"]: i["seats"] for i in _listing(cli)}
    assert seats == {"C-100": 1200, "C-DE": 2500}


def test_amount_longer_than_fifteen_digits_is_refused_not_stored_altered(
    cli: Any, tmp_path: Path
) -> None:
    # SQLite keeps NUMERIC as a double: 98765432109876.5432 came back as ...876.5469,
    # and every re-import of the file "updated" the contract.
    long = contract(total_cost="98765432109876.5432")
    refused = _import(cli, tmp_path, "long.csv", _tsv([long]).encode())
    assert refused.exit_code == 1
    assert refused.stderr.splitlines()[0] == (
        "row 2, column total_cost: '98765432109876.5432' has more than 15 significant "
        "digits, more than a spreadsheet or Seatwise keeps exactly; round it"
    )
    widest = _tsv([contract(total_cost="98765432109876.5")]).encode()
    assert _import(cli, tmp_path, "widest.csv", widest).exit_code == 0
    again = _import(cli, tmp_path, "widest.csv", widest)
    assert again.stdout.strip() == "contracts: 0 created, 0 updated, 1 unchanged"
    (item,) = _listing(cli)
    assert item["total_cost"] == "98765432109876.50"


def test_regional_csv_dates_are_refused_showing_their_iso_form_or_both_readings(
    cli: Any, tmp_path: Path
) -> None:
    # Excel writes date cells to CSV as the regional settings show them.
    rows = [
        contract(start_date="31/01/2026", end_date="", renewal_date=""),
        contract(contract_number="C-2", start_date="02/03/2026", end_date="", renewal_date=""),
    ]
    result = _import(cli, tmp_path, "uk.csv", _tsv(rows).encode())
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:2] == [
        "row 2, column start_date: '31/01/2026' is not an ISO date; write it as 2026-01-31 "
        "(YYYY-MM-DD), or save the file as XLSX with real date cells",
        "row 3, column start_date: '02/03/2026' could be 2026-02-03 or 2026-03-02; write it "
        "as YYYY-MM-DD, or save the file as XLSX with real date cells",
    ]
    assert _listing(cli) == []


def test_whole_numbers_written_with_zero_decimals_are_read(cli: Any, tmp_path: Path) -> None:
    # pandas writes an integer column holding a blank as floats: 50.0, 30.0.
    row = contract(seats="50.0", notice_days="30.0")
    result = _import(cli, tmp_path, "pandas.csv", _tsv([row]).encode())
    assert result.exit_code == 0, result.stderr
    (item,) = _listing(cli)
    assert (item["seats"], item["notice_days"]) == (50, 30)
    half = _import(cli, tmp_path, "half.csv", _tsv([contract(seats="50.5")]).encode())
    assert half.exit_code == 1
    assert half.stderr.splitlines()[0] == "row 2, column seats: expected a whole number, got '50.5'"
