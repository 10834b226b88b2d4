"""The spend page: its table adds up as shown, and its period form reports bad input."""

from __future__ import annotations

import re
from decimal import Decimal

from sqlmodel import Session

from tests.spend.spend_rows import slack_members_without_email, usd_shared_by_people
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


def _error_of(html: str) -> str:
    match = re.search(r'<p class="notice bad" role="alert" id="spend-error">([^<]*)</p>', html)
    assert match, "no inline error"
    return match.group(1)


def _field(html: str, name: str) -> str:
    match = re.search(rf'<input id="{name}" name="{name}"[^>]*>', html)
    assert match, f"no {name} field"
    return match.group(0)


def test_a_month_that_is_not_one_is_named_and_kept_in_the_form(web: Web) -> None:
    page = web.client("finance").get("/spend", params={"from": "2026-13", "to": "2026-01"})
    assert page.status_code == 422
    assert _error_of(page.text) == "From month 2026-13 is not a month (YYYY-MM)"
    assert 'value="2026-13"' in _field(page.text, "from")
    assert 'aria-invalid="true"' in _field(page.text, "from")
    assert 'value="2026-01"' in _field(page.text, "to")
    assert "download-xlsx" not in page.text and "download-csv" not in page.text
    assert "/api/v1/reports/spend" not in page.text


def test_both_bad_months_are_named_and_markup_in_them_stays_text(web: Web) -> None:
    bad_to = '"><script>x</script>'
    page = web.client("finance").get("/spend", params={"from": "January", "to": bad_to})
    assert page.status_code == 422
    assert _error_of(page.text) == (
        "From month January is not a month (YYYY-MM); "
        "To month &#34;&gt;&lt;script&gt;x&lt;/script&gt; is not a month (YYYY-MM)"
    )
    assert "<script>x" not in page.text
    assert 'value="January"' in _field(page.text, "from")


def test_from_after_to_is_said_in_the_forms_words_without_downloads(web: Web) -> None:
    page = web.client("finance").get("/spend", params={"from": "2026-12", "to": "2026-01"})
    assert page.status_code == 422
    assert _error_of(page.text) == "From 2026-12 is after To 2026-01"
    assert "--from" not in page.text and "--to" not in page.text
    assert 'value="2026-12"' in _field(page.text, "from")
    assert 'value="2026-01"' in _field(page.text, "to")
    assert "download-xlsx" not in page.text and "download-csv" not in page.text


def test_a_period_longer_than_reports_cover_is_refused_on_the_page(web: Web) -> None:
    page = web.client("finance").get("/spend", params={"from": "2000-01", "to": "2026-12"})
    assert page.status_code == 422
    assert (
        _error_of(page.text) == "From 2000-01 to 2026-12 is 324 months; a report covers at most 120"
    )


def test_a_good_or_blank_period_still_offers_the_downloads(web: Web) -> None:
    client = web.client("finance")
    page = client.get("/spend", params={"from": "2026-01", "to": "2026-03", "by": "vendor"})
    assert page.status_code == 200
    assert (
        'href="/api/v1/reports/spend?by=vendor&amp;from=2026-01&amp;to=2026-03&amp;format=xlsx"'
        in page.text
    )
    assert 'type="month" value="2026-01"' in _field(page.text, "from")
    blank = client.get("/spend")
    assert blank.status_code == 200 and "download-csv" in blank.text


def test_person_table_names_members_without_email_not_by_row_id(web: Web) -> None:
    with Session(web.db.engine) as s:
        slack_members_without_email(s)
        s.commit()
    page = web.client("finance").get("/spend?by=person&from=2026-01&to=2026-01")
    assert page.status_code == 200, page.text
    names = re.findall(r'<th scope="row">([^<]+)</th>', page.text)
    assert names == [
        "ann@example.com",
        "Isaac Moreau (slack U001)",
        "Sam Lee (slack U003)",
        "Sam Lee (slack U004)",
        "U002 (slack)",
        "Total",
    ]
