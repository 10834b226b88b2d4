"""Hostile input answers a clear 4xx naming the problem, never a 500 (both backends).

Found by fuzzing every route: NUL characters (PostgreSQL cannot hold them), numbers
beyond the databases' integers and decimals, forged CSRF tokens, dates out of range.
"""

from __future__ import annotations

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
