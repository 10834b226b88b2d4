"""An uploaded file is read within bounds, whatever it claims or unzips to."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from app.inventory import import_files
from app.inventory.import_files import ImportRefused, read_table
from tests.inventory.contract_files import (
    CONTRACT_HEADER,
    contract,
    csv_bytes,
    xlsx_bytes,
    xlsx_contract_row,
)


def _with_sheet(data: bytes, edit: re.Pattern[bytes], new: bytes) -> bytes:
    """The workbook ``data`` with its sheet's XML edited (``edit`` replaced by ``new``)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            part = source.read(info)
            if info.filename.startswith("xl/worksheets/"):
                part, count = edit.subn(new, part, count=1)
                assert count == 1, "the sheet's XML has what the test edits"
            target.writestr(info, part, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _problems(data: bytes) -> list[str]:
    with pytest.raises(ImportRefused) as refused:
        read_table(data, what="contracts")
    return [str(p) for p in refused.value.problems]


def test_xlsx_claiming_the_largest_sheet_is_read_by_its_cells() -> None:
    # openpyxl padded every row to the sheet's claimed size: 16,384 cells a row, so a
    # small file of many rows took gigabytes.
    data = xlsx_bytes([xlsx_contract_row()], CONTRACT_HEADER)
    data = _with_sheet(
        data, re.compile(rb'<dimension ref="[^"]*" ?/>'), b'<dimension ref="A1:XFD1048576"/>'
    )
    table = read_table(data, what="contracts")
    assert table.header == tuple(CONTRACT_HEADER)
    assert [len(row.cells) for row in table.rows] == [len(CONTRACT_HEADER)]


def test_xlsx_row_of_a_million_empty_cells_is_refused_before_it_is_parsed() -> None:
    # A few KB zipped; openpyxl holds a whole row at once, some 400 bytes a cell.
    data = xlsx_bytes([xlsx_contract_row()], CONTRACT_HEADER)
    data = _with_sheet(data, re.compile(rb"(<row [^>]*>)"), rb"\1" + b"<c/>" * 1_000_000)
    assert len(data) < 100_000
    assert _problems(data) == ["row 1 has more than 200 cells; delete the unused columns"]


def test_xlsx_row_too_wide_is_refused_wherever_the_workbook_keeps_its_sheet() -> None:
    data = xlsx_bytes([xlsx_contract_row()], CONTRACT_HEADER)
    data = _with_sheet(data, re.compile(rb"(<row [^>]*>)"), rb"\1" + b"<c/>" * 1_000)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            part = source.read(info).replace(b"worksheets/sheet1.xml", b"elsewhere/data.bin")
            name = info.filename.replace("xl/worksheets/sheet1.xml", "xl/elsewhere/data.bin")
            target.writestr(name, part, compress_type=zipfile.ZIP_DEFLATED)
    moved = out.getvalue()
    assert b"xl/worksheets/" not in moved
    assert _problems(moved) == ["row 1 has more than 200 cells; delete the unused columns"]


def test_xlsx_unzipping_to_more_than_an_import_reads_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(import_files, "MAX_XLSX_UNZIPPED_BYTES", 2 * 1024 * 1024)
    data = xlsx_bytes([xlsx_contract_row()], CONTRACT_HEADER)
    data = _with_sheet(data, re.compile(rb"(</worksheet>)"), b" " * 3 * 1024 * 1024 + rb"\1")
    assert _problems(data) == ["the workbook unzips to more than 2 MB; split it"]


def test_xlsx_with_more_rows_than_an_import_reads_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(import_files, "MAX_ROWS", 10)
    data = xlsx_bytes([xlsx_contract_row()], CONTRACT_HEADER)
    # One row numbered a million: openpyxl yields the empty rows before it.
    last = b'<row r="1000000"><c r="A1000000" t="inlineStr"><is><t>x</t></is></c></row>'
    data = _with_sheet(data, re.compile(rb"(</sheetData>)"), last + rb"\1")
    assert _problems(data) == ["the file has more than 10 rows; split it"]


def test_csv_with_more_rows_than_an_import_reads_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(import_files, "MAX_ROWS", 10)
    data = csv_bytes([contract(contract_number=f"C-{i}") for i in range(9)], CONTRACT_HEADER)
    assert len(read_table(data, what="contracts").rows) == 9  # and the header: 10 rows
    assert _problems(data + b"C-x\n") == ["the file has more than 10 rows; split it"]


def test_csv_row_of_more_columns_than_an_import_reads_is_refused() -> None:
    data = csv_bytes([contract()], CONTRACT_HEADER) + b"," * 300 + b"\n"
    assert _problems(data) == ["row 3: more than 200 columns; delete the unused ones"]
