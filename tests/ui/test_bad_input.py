"""Hostile input answers a clear 4xx naming the problem, never a 500 (both backends).

Found by fuzzing every route: NUL characters (PostgreSQL cannot hold them), numbers
beyond the databases' integers and decimals, forged CSRF tokens, dates out of range.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

from fastapi.testclient import TestClient

from tests.ui.conftest import Web, csrf_of
from tests.ui.seed import seed_inventory


def _api(web: Web, role: str = "admin") -> TestClient:
    client = web.client(None)
    client.headers["Authorization"] = f"Bearer {web.tokens[role]}"
    return client


def _nul_refused(response: Any, where: str) -> None:
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == (
        f"{where} contains a NUL character (\\u0000), which no field accepts"
    )


def test_nul_characters_are_refused_wherever_they_come(web: Web) -> None:
    ids = seed_inventory(web.db.engine)
    api = _api(web)
    _nul_refused(api.get("/api/v1/accounts", params={"connector": "a\x00b"}), "the address")
    _nul_refused(api.get("/api/v1/connectors/a%00b/runs"), "the address")
    _nul_refused(api.patch("/api/v1/findings/k", json={"reason": "x\x00"}), "the request body")
    _nul_refused(
        api.patch(f"/api/v1/applications/{ids['slack']}", json={"category": ["\x00"][0]}),
        "the request body",
    )
    page = web.client("admin")
    csrf = csrf_of(page.get("/login").text)
    form = page.post(f"/applications/{ids['slack']}", data={"csrf": csrf, "category": "a\x00"})
    _nul_refused(form, "the request body")
    # A JSON text that only looks like one (an escaped backslash) is fine.
    fine = api.patch(f"/api/v1/applications/{ids['slack']}", json={"category": "a\\u0000"})
    assert fine.status_code == 200 and fine.json()["category"] == "a\\u0000"
    # Uploaded files are binary and left to the importer, which names the problem.
    upload = api.post(
        "/api/v1/imports/contracts", files={"file": ("c.csv", b"a,b\x00\n", "text/csv")}
    )
    assert upload.status_code == 422 and "binary data (NUL bytes)" in upload.text


def test_a_forged_csrf_token_with_other_characters_is_refused_not_a_crash(web: Web) -> None:
    anonymous = web.client(None)
    response = anonymous.post("/login", data={"csrf": "é", "email": "a@b.c", "password": "x"})
    assert response.status_code in (400, 401, 403), response.text
    page = web.client("admin")
    page.get("/login")
    forged = page.post("/logout", data={"csrf": "é"})
    assert forged.status_code < 500
    forged_header = {"X-CSRF-Token": "é".encode()}  # raw UTF-8 bytes
    header = page.post("/api/v1/findings/bulk", json={}, headers=forged_header)
    assert header.status_code == 400


def _refused(response: Any, *needles: str) -> None:
    assert 400 <= response.status_code < 500, response.text
    for needle in needles:
        assert needle in response.text, (needle, response.text)


def test_numbers_beyond_the_columns_are_refused_by_name(web: Web) -> None:
    seed_inventory(web.db.engine)
    api = _api(web)
    huge = 10**40
    beyond = api.get("/api/v1/findings", params={"application": "2147483648"})
    assert beyond.status_code == 404 and "no application named '2147483648'" in beyond.text
    _refused(api.get("/api/v1/budgets", params={"year": "2147483648"}), "less than or equal")
    body = {"department": "Ops", "year": 2027, "currency": "EUR"}
    for amount in (huge, "1e400", "100000000000000"):
        _refused(api.put("/api/v1/budgets", json={**body, "amount": amount}))
    _refused(api.put("/api/v1/admin/policies", json={"inactive_days": 2**40}), "up to 36500, got")
    _refused(api.post("/api/v1/admin/tokens", json={"user_id": 2**40, "name": "x"}), "no user")
    contract = api.patch("/api/v1/contracts/1", json={"seats": 2**40})
    _refused(contract, "less than or equal to 2147483647")
    _refused(api.patch("/api/v1/contracts/1", json={"unit_price": "1e20"}), "less than")
    _refused(api.put("/api/v1/fx-rates", json={"base": "EUR", "quote": "USD",
                                               "day": "2026-01-01", "rate": "1e12"}))  # fmt: skip
    page = web.client("admin")
    csrf = csrf_of(page.get("/login").text)
    form = page.post("/settings/tokens", data={"csrf": csrf, "user_id": "1", "name": "n" * 10_000})
    _refused(form, "name has 1 to 100 characters")
    catalog = {"csrf": csrf, "key": "k" * 10_000, "name": "X", "vendor": "Y", "category": "x"}
    _refused(page.post("/settings/catalog", data=catalog), "1 to 100 characters")


def test_amounts_the_database_would_not_give_back_as_typed_are_refused(web: Web) -> None:
    # PostgreSQL rounds decimals beyond a column's scale away and SQLite keeps 15
    # significant digits, both silently: a budget of 12345678901234.56 came back as
    # ...234.5625 on SQLite, and a price of 1.23456 as 1.2346 on PostgreSQL.
    seed_inventory(web.db.engine)
    api = _api(web)
    body = {"department": "Ops", "year": 2027, "currency": "EUR"}
    _refused(api.put("/api/v1/budgets", json={**body, "amount": "12345678901234.56"}),
             "has more than 15 significant digits")  # fmt: skip
    _refused(api.put("/api/v1/budgets", json={**body, "amount": "10.12345"}),
             "has more than 4 decimal places")  # fmt: skip
    _refused(api.patch("/api/v1/contracts/1", json={"unit_price": "1.23456"}),
             "has more than 4 decimal places")  # fmt: skip
    _refused(api.patch("/api/v1/contracts/1", json={"total_cost": "98765432109876.5432"}),
             "has more than 15 significant digits")  # fmt: skip
    rate = {"base": "EUR", "quote": "USD", "day": "2026-01-01"}
    _refused(api.put("/api/v1/fx-rates", json={**rate, "rate": "1.12345678901"}),
             "has more than 10 decimal places")  # fmt: skip
    assert api.put("/api/v1/budgets", json={**body, "amount": "98765432109876.5"}).is_success
    assert api.patch("/api/v1/contracts/1", json={"unit_price": "1.2345"}).is_success
    assert api.put("/api/v1/fx-rates", json={**rate, "rate": "1.1234567891"}).is_success
    budgets = api.get("/api/v1/budgets", params={"year": 2027}).json()["items"]
    assert [b["budget"] for b in budgets if b["name"] == "Ops"] == ["98765432109876.50"]


def test_clearing_a_contracts_required_field_is_refused_naming_it(web: Web) -> None:
    seed_inventory(web.db.engine)
    api = _api(web)
    for field in ("notice_days", "billing_cycle", "auto_renew"):
        response = api.patch("/api/v1/contracts/1", json={field: None})
        _refused(response, f"{field}: required, cannot be cleared")
    page = web.client("admin")
    csrf = csrf_of(page.get("/contracts/1").text)
    form = page.post("/contracts/1", data={"csrf": csrf, "notice_days": "", "billing_cycle": ""})
    _refused(form, "billing_cycle, notice_days: required, cannot be cleared")


def test_months_outside_the_years_reports_know_fall_back_or_are_refused(web: Web) -> None:
    page = web.client("admin")
    for month in ("9999-12", "0001-01", "1-1"):
        assert page.get("/renewals", params={"month": month}).status_code == 200, month
    for month in ("0001-01", "0000-01", "3000-01"):
        spend = page.get("/spend", params={"to": month})
        assert spend.status_code == 422, month
        assert f"To month {month} is outside the years reports cover (1900 to 2999)" in spend.text
    refused = _api(web).get("/api/v1/reports/spend", params={"to": "0001-01"})
    _refused(refused, "expected a year from 1900 to 2999")


def test_a_damaged_workbook_is_refused_as_no_xlsx(web: Web) -> None:
    damaged = io.BytesIO()
    with zipfile.ZipFile(damaged, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types><broken")
        archive.writestr("xl/workbook.xml", "not xml at all <<<")
    upload = {"file": ("c.xlsx", damaged.getvalue(), "application/octet-stream")}
    response = _api(web).post("/api/v1/imports/contracts", files=upload)
    _refused(response, "not an XLSX workbook")


def test_unusable_ca_bundle_values_are_refused_naming_the_setting(web: Web) -> None:
    api = _api(web)
    base = {"api_url": "https://127.0.0.1:9/api/", "token": "xoxb-1"}
    for value in ("/" + "x" * 5000, "~nosuchuser/ca.pem", "-----BEGIN CERTIFICATE-----é"):
        body = {"kind": "slack", "name": "s", "config": {**base, "ca_bundle": value}}
        response = api.post("/api/v1/connectors", json=body)
        _refused(response, "ca_bundle")
        assert "schedule" not in response.text
    blank = {"kind": "slack", "name": "s", "config": {**base, "schedule": "  "}}
    assert api.post("/api/v1/connectors", json=blank).status_code == 201
    listed = api.get("/api/v1/connectors").json()
    [row] = listed["items"] if isinstance(listed, dict) else listed
    assert not row["config"].get("schedule")


def test_cli_bad_input_exits_with_a_message_not_a_crash(
    cli: Any, committed_db: Any, tmp_path: Any
) -> None:
    latin1 = tmp_path / "latin1.json"
    latin1.write_bytes('{"token": "caf\xe9"}'.encode("latin-1"))
    cases = {
        f"@{latin1}": "is not UTF-8 text",
        "@~nosuchuser-seatwise/x.json": "no such home directory",
        "[" * 100_000: "nested too deeply",
        '{"token": "x", "api_url": "http://127.0.0.1/\\u0000"}': "NUL character",
        '{"token": "x", "api_url": "http://127.0.0.1/\\ud800"}': "lone UTF-16 surrogate",
    }
    for config, needle in cases.items():
        result = cli("connector", "add", "slack", "--name", "s", "--config", config)
        assert result.exit_code == 2 and needle in result.stderr, (config[:40], result.stderr)
    for as_of in ("0001-01-01", "3000-01-01"):
        result = cli("analyze", "--as-of", as_of)
        assert result.exit_code == 2 and "the year must be from 1900 to 2999" in result.stderr
    assert cli("user", "create", "--email", "a@example.com", "--role", "admin",
               "--password-stdin", input="long-enough-password\n").exit_code == 0  # fmt: skip
    long_name = cli("token", "create", "--email", "a@example.com", "--name", "n" * 10_000)
    assert long_name.exit_code == 1 and "1 to 100 characters" in long_name.stderr
    migration = cli("db", "upgrade", "+99")
    assert migration.exit_code == 1 and "seatwise: error: migration:" in migration.stderr
