"""Reviewing findings on the findings page: dismissals, bulk reviews, exports, savings totals."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from decimal import Decimal

from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session, select

from app.findings.models import Finding
from app.spend.models import FxRate
from tests.ui.conftest import Web, csrf_of
from tests.ui.seed import seed_inventory


def test_dismissing_a_finding_lowers_the_savings_total(web: Web) -> None:
    seed_inventory(web.db.engine)
    client = web.client("asset_manager")
    page = client.get("/findings")
    assert "16.00 EUR" in page.text
    response = client.post(
        "/findings/review",
        data={
            "action": "dismissed",
            "keys": ["unused_seat:U1:pro"],
            "reason": "kept for audit",
            "csrf": csrf_of(page.text),
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "8.00 EUR" in response.text and "1 finding(s) dismissed" in response.text
    with Session(web.db.engine) as s:
        finding = s.exec(select(Finding).where(Finding.key == "unused_seat:U1:pro")).one()
        assert finding.status == "dismissed" and finding.status_reason == "kept for audit"


def test_dismissing_without_a_reason_is_refused_with_a_message(web: Web) -> None:
    seed_inventory(web.db.engine)
    client = web.client("asset_manager")
    page = client.get("/findings")
    response = client.post(
        "/findings/review",
        data={"action": "dismissed", "keys": ["unused_seat:U1:pro"], "csrf": csrf_of(page.text)},
        headers={"HX-Request": "true"},
    )
    assert "a reason is required" in response.text


def test_findings_csv_export_lists_the_filtered_findings(web: Web) -> None:
    seed_inventory(web.db.engine)
    response = web.client("procurement").get("/findings.csv?kind=leaver_seat")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["key"] for r in rows] == ["leaver_seat:U2:pro"]


def test_bulk_review_api_matches_the_page(web: Web) -> None:
    seed_inventory(web.db.engine)
    client = web.client(None)
    client.headers["Authorization"] = f"Bearer {web.tokens['asset_manager']}"
    response = client.post(
        "/api/v1/findings/bulk",
        json={"keys": ["unused_seat:U1:pro", "nope"], "status": "acknowledged"},
    )
    assert response.status_code == 200
    assert response.json()["changed"] == ["unused_seat:U1:pro"]
    assert "nope" in response.json()["refused"]


def _many_findings(web: Web, count: int) -> list[str]:
    ids = seed_inventory(web.db.engine)
    keys = [f"unused_seat:bulk{i:03}:pro" for i in range(count)]
    with Session(web.db.engine) as s:
        for key in keys:
            s.add(Finding(key=key, kind="unused_seat", application_id=ids["slack"], subject=key))
        s.commit()
    return keys


def _review(client: TestClient, page: str, offset: int, keys: list[str]) -> Response:
    return client.post(
        "/findings/review",
        data={"action": "acknowledged", "keys": keys, "csrf": csrf_of(page), "status": "open",
              "offset": str(offset)},
        headers={"HX-Request": "true"},
    )  # fmt: skip


def test_a_bulk_review_keeps_the_page_it_was_made_on(web: Web) -> None:
    _many_findings(web, 120)  # with the seed's: 122 open, pages at 0, 50 and 100
    client = web.client("asset_manager")
    page = client.get("/findings?status=open&offset=50").text
    shown = re.findall(r'name="keys" value="([^"]+)"', page)
    assert len(shown) == 50
    answer = _review(client, page, 50, shown[:2])
    assert answer.headers["HX-Push-Url"] == "/findings?status=open&offset=50"
    after = re.findall(r'name="keys" value="([^"]+)"', answer.text)
    assert after[:48] == shown[2:]  # the same page, less what was acknowledged


def test_a_bulk_review_that_empties_the_last_page_shows_the_new_last_one(web: Web) -> None:
    _many_findings(web, 100)  # with the seed's: 102 open; the last page holds 2
    client = web.client("asset_manager")
    page = client.get("/findings?status=open&offset=100").text
    shown = re.findall(r'name="keys" value="([^"]+)"', page)
    assert len(shown) == 2
    answer = _review(client, page, 100, shown)
    assert answer.headers["HX-Push-Url"].endswith("&offset=50")
    assert len(re.findall(r'name="keys" value="([^"]+)"', answer.text)) == 50
    first = re.findall(r'name="keys" value="([^"]+)"', answer.text)[:1]
    plain = client.post(
        "/findings/review",
        data={"action": "acknowledged", "keys": first, "csrf": csrf_of(page), "status": "open",
              "offset": "50"},
        follow_redirects=False,
    )  # fmt: skip
    assert plain.status_code == 303 and "&offset=50&message=1+finding" in plain.headers["location"]


def test_savings_in_several_currencies_are_also_added_up_in_the_reporting_one(web: Web) -> None:
    ids = seed_inventory(web.db.engine)  # open findings worth 16.00 EUR a month
    with Session(web.db.engine) as s:
        for key, amount, currency in (("u:usd", "10.00", "USD"), ("u:gbp", "5.00", "GBP")):
            s.add(
                Finding(
                    key=key, kind="unused_seat", application_id=ids["slack"], subject=key,
                    monthly_savings=Decimal(amount), currency=currency,
                )
            )  # fmt: skip
        today = datetime.now(UTC).date()
        s.add(FxRate(base="USD", quote="EUR", day=today, rate=Decimal("0.9")))
        s.commit()
    page = web.client("asset_manager").get("/findings?status=open").text
    assert "16.00 EUR · 5.00 GBP · 10.00 USD" in page
    assert re.search(
        r'in all about <strong id="savings-in-one">25.00 EUR</strong> per month\s+'
        r"\(300.00 EUR a year; leaving out GBP: no rate to EUR\)",
        page,
    ), page
