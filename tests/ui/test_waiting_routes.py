"""A route waiting for the database holds up no other request.

Routes that write run in the thread pool. An ``async`` import route once waited for
the database on the event loop: every other request stalled behind it, and on
PostgreSQL the server could hang for good. Served by uvicorn on 127.0.0.1, as in
production; another connection holds the lock the import needs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import closing

import httpx
import pytest
from sqlmodel import Session

from app.inventory import service as inventory_service
from tests.conftest import Database
from tests.inventory.contract_files import contract, csv_bytes
from tests.ui.browser import serve
from tests.ui.conftest import Web, csrf_of, vendors_locked

QUICK = 3.0
"""Seconds a page may take while the import waits (it answers in milliseconds)."""


def _waiting(db: Database) -> Callable[[], bool]:
    """Whether a statement waits for a lock (PostgreSQL tells; on SQLite, assume so)."""

    def waiting() -> bool:
        if db.engine.dialect.name == "sqlite":
            return True
        with db.engine.connect() as conn:
            return bool(
                conn.exec_driver_sql("SELECT count(*) FROM pg_locks WHERE NOT granted").scalar()
            )

    return waiting


def _import_api(base: str, web: Web) -> tuple[httpx.Client, Callable[[], httpx.Response]]:
    http = httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {web.tokens['admin']}"}, timeout=60
    )
    http.get("/api/v1/subscriptions").raise_for_status()  # the token's use is recorded now
    upload = {"file": ("c.csv", csv_bytes([contract()]), "text/csv")}
    return http, lambda: http.post("/api/v1/imports/contracts", files=upload)


def _import_page(base: str, web: Web) -> tuple[httpx.Client, Callable[[], httpx.Response]]:
    http = httpx.Client(
        base_url=base, cookies=dict(web.client("asset_manager").cookies), timeout=60
    )
    csrf = csrf_of(http.get("/contracts").text)
    upload = {"file": ("c.csv", csv_bytes([contract()]), "text/csv")}
    return http, lambda: http.post("/contracts/upload", data={"csrf": csrf}, files=upload)


@pytest.mark.parametrize("route", [_import_api, _import_page], ids=["api", "page"])
def test_an_import_waiting_for_the_database_leaves_other_requests_answered(
    web: Web, route: Callable[[str, Web], tuple[httpx.Client, Callable[[], httpx.Response]]]
) -> None:
    answers: list[httpx.Response] = []
    with serve(web.app) as base:
        http, send = route(base, web)  # signed in, the form's token read: nothing to write
        with closing(http):
            with vendors_locked(web.db):
                importing = threading.Thread(target=lambda: answers.append(send()))
                importing.start()
                deadline = time.monotonic() + 10
                waiting = _waiting(web.db)
                time.sleep(1.0)  # the import reaches its first vendor
                while not waiting() and time.monotonic() < deadline:
                    time.sleep(0.05)
                assert importing.is_alive(), "the import did not wait for the lock"
                start = time.monotonic()
                page = httpx.get(f"{base}/login", timeout=QUICK + 5)
                took = time.monotonic() - start
            importing.join(timeout=60)
    assert page.status_code == 200 and took < QUICK, f"/login took {took:.1f} s"
    (answer,) = answers
    assert answer.status_code in (200, 303), answer.text


def test_a_token_whose_use_cannot_be_recorded_now_is_still_served(web: Web) -> None:
    # Recorded in the request's own transaction, a due token's use made the call wait
    # for whoever held the lock (a sync on SQLite), and every call with that token after it.
    with serve(web.app) as base, vendors_locked(web.db), httpx.Client(base_url=base) as http:
        if web.db.engine.dialect.name == "postgresql":
            locker = web.db.engine.raw_connection()
            locker.cursor().execute("LOCK TABLE api_token IN EXCLUSIVE MODE")
        start = time.monotonic()
        answer = http.get(
            "/api/v1/subscriptions",
            headers={"Authorization": f"Bearer {web.tokens['finance']}"},
            timeout=QUICK + 5,
        )
        took = time.monotonic() - start
        if web.db.engine.dialect.name == "postgresql":
            locker.rollback()
            locker.close()
    assert answer.status_code == 200, answer.text
    assert took < QUICK, f"the call took {took:.1f} s"


def test_an_upload_that_waits_too_long_for_a_vendor_says_so_on_the_page(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inventory_service, "CREATION_WAIT_SECONDS", 0.3)
    with serve(web.app) as base:
        http, send = _import_page(base, web)
        # Another change (a sync, say) is creating the file's vendor and has not committed.
        with closing(http), Session(web.db.engine) as other, other.begin():
            inventory_service.resolve_vendor(session=other, name="Atlassian")
            answer = send()
    assert answer.status_code == 503, answer.text
    assert answer.headers["retry-after"] == "5"
    assert "was refused: nothing was imported" in answer.text
    assert "was being created by another change" in answer.text
    assert "Fix these rows" not in answer.text
