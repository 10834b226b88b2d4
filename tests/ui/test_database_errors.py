"""A write that meets another change answers 409 or 503 naming the cause, never a bare 500.

Real errors from the real database: a unique name taken a moment earlier, and a lock
another connection holds longer than the request may wait. (Routes of the app avoid
both where they can, see ``app.inventory.service``; these answers are for the rest.)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.cli import _operational_message
from app.deps import SessionDep
from app.inventory.models import Vendor
from tests.conftest import Database
from tests.ui.conftest import Web, vendors_locked


def _probe(app: FastAPI, db: Database) -> None:
    """Routes that make the database refuse, as a concurrent change would."""
    router = APIRouter()

    def twice(session: SessionDep) -> None:
        session.add(Vendor(name="Acme"))
        session.flush()
        session.add(Vendor(name="Acme"))  # taken: the commit at the request's end fails

    def waits(session: SessionDep) -> None:
        conn = session.connection()
        if db.engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA busy_timeout = 100")
        else:
            conn.exec_driver_sql("SET LOCAL lock_timeout = '100ms'")
        session.add(Vendor(name="Zeta"))
        session.flush()

    for path, route in (("twice", twice), ("waits", waits)):
        router.add_api_route(f"/api/v1/_probe/{path}", route, methods=["POST"])
        router.add_api_route(f"/_probe/{path}", route, methods=["POST"])
    app.router.routes[:0] = router.routes  # before the pages' catch-alls


@pytest.fixture
def probed(web: Web) -> Iterator[TestClient]:
    _probe(web.app, web.db)
    client = web.client(None)
    client.headers["Authorization"] = f"Bearer {web.tokens['admin']}"
    yield client


@pytest.fixture
def locked(web: Web) -> Iterator[None]:
    with vendors_locked(web.db):
        yield


def test_a_name_taken_meanwhile_is_409_problem(probed: TestClient) -> None:
    answer = probed.post("/api/v1/_probe/twice")
    assert answer.status_code == 409, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    body = answer.json()
    assert body["title"] == "Conflict"
    assert body["detail"].startswith("the change conflicts with data saved at the same moment")
    assert body["detail"].endswith("nothing was saved: try again")


def test_a_lock_waited_for_in_vain_is_503_with_retry_after(
    probed: TestClient, locked: None
) -> None:
    answer = probed.post("/api/v1/_probe/waits")
    assert answer.status_code == 503, answer.text
    assert answer.headers["retry-after"] == "5"
    body = answer.json()
    assert body["title"] == "Database busy"
    assert "stayed busy with another change" in body["detail"]
    page = probed.post("/_probe/waits", headers={"accept": "text/html"})
    assert page.status_code == 503 and "Database busy" in page.text


def test_the_command_line_says_the_same_in_one_line(committed_db: Database) -> None:
    with Session(committed_db.engine) as session:
        session.add(Vendor(name="Acme"))
        session.add(Vendor(name="Acme"))
        with pytest.raises(IntegrityError) as caught:
            session.commit()
    message = _operational_message(caught.value)
    assert message.startswith("the change conflicts with data saved at the same moment (")
    assert "\n" not in message
