"""REST: GET /api/v1/findings, PATCH /api/v1/findings/{key}, POST /api/v1/analyze."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.auth.models import AuditLog
from app.core.settings import Settings
from app.findings.service import analyze
from tests.api_tokens import ROLES, api_client
from tests.conftest import Database
from tests.findings.company import Planted, build_company
from tests.findings.factories import TODAY


@pytest.fixture
def api(committed_db: Database) -> Iterator[tuple[TestClient, dict[str, dict[str, str]], Planted]]:
    settings = Settings(database_url=committed_db.url, secret_key="k" * 40, environment="test")
    with Session(committed_db.engine) as session:
        planted = build_company(session)
        analyze(session=session, settings=settings, today=TODAY)
        session.commit()
    with api_client(committed_db) as (client, headers):
        yield client, headers, planted


def test_findings_are_read_by_the_roles_of_the_findings_page_only(api: Any) -> None:
    client, headers, planted = api
    key = next(iter(planted.expected))
    for role in ROLES:
        allowed = role in ("admin", "asset_manager", "procurement")
        for url in ("/api/v1/findings", f"/api/v1/findings/{key}"):
            status = client.get(url, headers=headers[role]).status_code
            assert status == (200 if allowed else 403), (role, url, status)


def test_list_findings_paginates_with_savings_total(api: Any) -> None:
    client, headers, planted = api
    body = client.get("/api/v1/findings?limit=5", headers=headers["procurement"]).json()
    assert body["total"] == len(planted.expected) and len(body["items"]) == 5
    assert body["limit"] == 5 and body["offset"] == 0
    assert body["savings_total"] == {"EUR": "113.33", "USD": "45.00"}
    rest = client.get("/api/v1/findings?limit=100&offset=5", headers=headers["procurement"]).json()
    keys = {i["key"] for i in body["items"]} | {i["key"] for i in rest["items"]}
    assert keys == set(planted.expected)
    assert body["items"][0]["severity"] == "critical"


FILTERS = [
    ("kind=unassigned_seats", {"unassigned_seats"}, 2),
    ("severity=critical", {"leaver_seat"}, 1),
    ("application=Slack", {"leaver_seat", "guest_paid_seat", "overlap"}, 3),
    ("status=dismissed", set(), 0),
]


def test_list_findings_filters_by_kind_severity_application_and_status(api: Any) -> None:
    client, headers, _ = api
    for query, kinds, total in FILTERS:
        body = client.get(f"/api/v1/findings?{query}", headers=headers["procurement"]).json()
        assert (body["total"], {i["kind"] for i in body["items"]}) == (total, kinds), query


def test_list_findings_savings_total_follows_the_filter(api: Any) -> None:
    client, headers, _ = api
    url = "/api/v1/findings?kind=unassigned_seats"
    body = client.get(url, headers=headers["procurement"]).json()
    assert body["savings_total"] == {"EUR": "71.67"}


def test_list_findings_refuses_unknown_status(api: Any) -> None:
    client, headers, _ = api
    response = client.get("/api/v1/findings?status=closed", headers=headers["procurement"])
    assert response.status_code == 422 and "closed" in response.json()["detail"]


def test_list_findings_needs_login(api: Any) -> None:
    client, _, _ = api
    assert client.get("/api/v1/findings").status_code == 401


def test_patch_dismisses_with_reason_and_records_who(api: Any, committed_db: Database) -> None:
    client, headers, planted = api
    key = next(k for k in planted.expected if k.startswith("unused_seat:"))
    response = client.patch(
        f"/api/v1/findings/{key}",
        json={"status": "dismissed", "reason": "parental leave"},
        headers=headers["asset_manager"],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "dismissed" and body["status_by"] == "asset_manager@example.com"
    assert body["status_reason"] == "parental leave"
    with Session(committed_db.engine) as session:
        entry = session.exec(select(AuditLog).where(AuditLog.action == "finding.dismiss")).one()
    assert entry.actor == "asset_manager@example.com" and entry.target == key
    listed = client.get("/api/v1/findings?status=dismissed", headers=headers["procurement"]).json()
    assert [i["key"] for i in listed["items"]] == [key]


def test_patch_acknowledge_then_reopen(api: Any) -> None:
    client, headers, planted = api
    key = next(k for k in planted.expected if k.startswith("overuse:"))
    url = f"/api/v1/findings/{key}"
    ack = client.patch(url, json={"status": "acknowledged"}, headers=headers["admin"])
    assert ack.json()["status"] == "acknowledged"
    reopened = client.patch(url, json={"status": "open"}, headers=headers["admin"])
    assert reopened.json()["status"] == "open"


def test_patch_refuses_dismissal_without_reason_and_unknown_statuses(api: Any) -> None:
    client, headers, planted = api
    key = next(iter(planted.expected))
    for body in (
        {"status": "dismissed"},
        {"status": "dismissed", "reason": ""},
        {"status": "resolved"},
    ):
        response = client.patch(f"/api/v1/findings/{key}", json=body, headers=headers["admin"])
        assert response.status_code == 422, body


def test_patch_unknown_key_is_404(api: Any) -> None:
    client, headers, _ = api
    response = client.patch(
        "/api/v1/findings/unused_seat:999:999",
        json={"status": "acknowledged"},
        headers=headers["admin"],
    )
    assert response.status_code == 404 and "unused_seat:999:999" in response.json()["detail"]


def test_read_only_roles_cannot_review_or_analyze(api: Any) -> None:
    client, headers, planted = api
    key = next(iter(planted.expected))
    for role in ("finance", "procurement", "viewer"):
        patch = client.patch(
            f"/api/v1/findings/{key}", json={"status": "acknowledged"}, headers=headers[role]
        )
        assert patch.status_code == 403, role
        assert client.post("/api/v1/analyze", headers=headers[role]).status_code == 403


def test_post_analyze_runs_as_of_a_day(api: Any) -> None:
    client, headers, planted = api
    response = client.post(
        "/api/v1/analyze", json={"as_of": TODAY.isoformat()}, headers=headers["asset_manager"]
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["as_of"] == "2026-11-25" and body["new"] == 0 and body["resolved"] == 0
    assert sum(body["counts"].values()) == len(planted.expected)


def test_get_one_finding_by_key(api: Any) -> None:
    client, headers, planted = api
    key = next(k for k in planted.expected if k.startswith("overlap:"))
    body = client.get(f"/api/v1/findings/{key}", headers=headers["procurement"]).json()
    assert body["key"] == key and body["subject"] == "Slack" and body["monthly_savings"] == "15.00"


def test_export_streams_the_filtered_findings_and_refuses_a_bad_filter_before_it(
    api: Any,
) -> None:
    """The CSV is streamed from a session of its own, so the filter is checked first: an
    unknown application or status is still a 404 or 422, not a cut-off download."""
    client, headers, planted = api
    procurement = headers["procurement"]
    response = client.get("/api/v1/findings/export", headers=procurement)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    keys = [line.split(",", 1)[0] for line in response.text.splitlines()[1:]]
    listed = client.get("/api/v1/findings?limit=1000", headers=procurement).json()["items"]
    assert keys == [i["key"] for i in listed] and set(keys) == set(planted.expected)
    slack = client.get("/api/v1/findings/export?application=Slack", headers=procurement)
    assert len(slack.text.splitlines()) == 1 + 3
    assert (
        client.get("/api/v1/findings/export?application=Nope", headers=procurement).status_code
        == 404
    )
    assert client.get("/api/v1/findings/export?status=bad", headers=procurement).status_code == 422
