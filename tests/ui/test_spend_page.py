"""The spend page: its table adds up as shown, and its period form reports bad input."""

from __future__ import annotations

import re
from decimal import Decimal

from sqlmodel import Session

from tests.spend.spend_rows import usd_shared_by_people
from tests.ui.conftest import Web


def _amounts(html: str) -> list[Decimal]:
    return [Decimal(v.replace(",", "")) for v in re.findall(r'<td class="num">([^<]+)</td>', html)]


def test_person_table_rows_add_up_to_its_total_row_and_heading(web: Web) -> None:
    with Session(web.db.engine) as s:
        usd_shared_by_people(s, 37, {1: "1234.57", 2: "987.65", 3: "0.37"})
        s.commit()
    page = web.client("finance").get("/spend?by=person&from=2026-01&to=2026-03")
    assert page.status_code == 200, page.text
    body = page.text.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = [_amounts(row) for row in body.split("</tr>") if "<td" in row]
    assert len(rows) == 37
    heading = re.search(r'<h2 id="h-table">2026-01 to 2026-03: ([\d,.]+) EUR</h2>', page.text)
    assert heading and Decimal(heading.group(1).replace(",", "")) == sum(r[-1] for r in rows)
    assert "<tfoot>" in page.text, "no Total row"
    footer = _amounts(page.text.split("<tfoot>", 1)[1].split("</tfoot>", 1)[0])
    assert [sum(column) for column in zip(*rows, strict=True)] == footer
