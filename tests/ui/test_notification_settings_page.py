"""Admins change notification recipients, schedules and thresholds on the Settings page."""

from __future__ import annotations

import html
import re
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.auth.models import AuditLog
from app.notify.models import NotificationSetting
from tests.ui.conftest import Web, csrf_of, email_of


def _form(page: str, **changes: str) -> dict[str, str]:
    """The notification form as the page filled it in, with ``changes`` typed over it."""
    section = page[page.index('id="notifications"') : page.index('id="jobs"')]
    values = {
        name: html.unescape(value)
        for name, value in re.findall(
            r'<input id="ns-[^"]+" name="(\w+)"[^>]*value="([^"]*)"', section
        )
    }
    values |= {
        name: html.unescape(value.strip())
        for name, value in re.findall(
            r'<textarea id="ns-[^"]+" name="(\w+)"[^>]*>([^<]*)</textarea>', section
        )
    }
    assert len(values) == 10, values
    return values | changes | {"csrf": csrf_of(page)}


def _rows(web: Web) -> dict[str, Any]:
    with Session(web.db.engine) as s:
        return {row.key: row.value for row in s.exec(select(NotificationSetting))}


def _audited(web: Web) -> list[tuple[str, str | None, str]]:
    with Session(web.db.engine) as s:
        entries = s.exec(
            select(AuditLog)
            .where(col(AuditLog.action).startswith("notification_setting."))
            .order_by(col(AuditLog.id))
        )
        return [(e.action, e.target, e.actor) for e in entries]


def _api(web: Web, role: str) -> TestClient:
    client = web.client(None)
    client.headers["Authorization"] = f"Bearer {web.tokens[role]}"
    return client


def test_page_shows_each_value_with_its_source_and_saves_only_changes(web: Web) -> None:
    client = web.client("admin")
    page = client.get("/settings").text
    assert 'id="h-notifications"' in page and "environment default" in page
    assert 'for="ns-procurement_emails">Procurement e-mails</label>' in page
    response = client.post(
        "/settings/notifications",
        data=_form(
            page, procurement_emails="Deals@Example.com\ncpo@example.com", alerts_time="7:30"
        ),
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"].endswith("#notifications")
    assert _rows(web) == {
        "procurement_emails": ["deals@example.com", "cpo@example.com"],
        "alerts_time": "07:30",
    }
    admin = email_of("admin")
    assert _audited(web) == [
        ("notification_setting.set", "procurement_emails", admin),
        ("notification_setting.set", "alerts_time", admin),
    ]
    after = client.get("/settings").text
    assert "deals@example.com, cpo@example.com</textarea>" in after
    assert f"by {admin}" in after and 'Reset<span class="sr-only"> Daily alerts time' in after
    assert "daily at 07:30" in after  # the schedule block shows the effective schedule


def test_invalid_values_are_shown_inline_and_nothing_is_written(web: Web) -> None:
    client = web.client("admin")
    page = client.get("/settings").text
    response = client.post(
        "/settings/notifications",
        data=_form(
            page,
            finance_emails="cfo@example.com, bob@",
            digest_schedule="0 8 * *",
            escalation_days="7",
        ),
    )
    assert response.status_code == 422
    text = html.unescape(response.text)
    assert "Notification settings not saved" in text
    assert "Finance e-mails: 'bob@' is not an e-mail address" in text
    assert "Digest schedule: '0 8 * *' is not a crontab expression" in text
    assert (
        'aria-describedby="ns-finance_emails-error ns-finance_emails-hint" aria-invalid="true"'
        in text
    )
    assert "cfo@example.com, bob@</textarea>" in text  # what was typed is kept to correct
    assert _rows(web) == {} and _audited(web) == []


def test_reset_restores_the_environment_default(web: Web) -> None:
    client = web.client("admin")
    page = client.get("/settings").text
    client.post("/settings/notifications", data=_form(page, free_seats_threshold="4"))
    assert _rows(web) == {"free_seats_threshold": 4}
    response = client.post(
        "/settings/notifications/reset",
        data={"csrf": csrf_of(page), "key": "free_seats_threshold"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert _rows(web) == {}
    assert [a for a, _, _ in _audited(web)] == [
        "notification_setting.set",
        "notification_setting.reset",
    ]


def test_non_admins_may_neither_see_nor_change_notification_settings(web: Web) -> None:
    for role in ("asset_manager", "finance", "procurement", "viewer"):
        client = web.client(role)
        token = csrf_of(client.get("/login").text)
        response = client.post(
            "/settings/notifications", data={"csrf": token, "alerts_time": "06:00"}
        )
        assert response.status_code == 403
        assert (
            _api(web, role)
            .patch("/api/v1/admin/notification-settings", json={"alerts_time": "06:00"})
            .status_code
            == 403
        )
    assert _rows(web) == {}


def test_api_reads_changes_and_resets_with_the_settings_field_names(web: Web) -> None:
    api = _api(web, "admin")
    listed = {s["key"]: s for s in api.get("/api/v1/admin/notification-settings").json()}
    assert listed["renewal_alert_days"] == listed["renewal_alert_days"] | {
        "value": [90, 60, 30, 7],
        "default": [90, 60, 30, 7],
        "source": "environment",
    }
    saved = api.patch(
        "/api/v1/admin/notification-settings",
        json={"renewal_alert_days": [7, 30], "digest_emails": ["cio@example.com"]},
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["changed"] == ["digest_emails", "renewal_alert_days"]
    after = {s["key"]: s for s in saved.json()["settings"]}
    assert after["renewal_alert_days"]["value"] == [30, 7]
    assert after["renewal_alert_days"]["source"] == "override"
    assert after["digest_emails"]["updated_by"] == email_of("admin")
    assert api.delete("/api/v1/admin/notification-settings/digest_emails").status_code == 204
    assert set(_rows(web)) == {"renewal_alert_days"}
    missing = api.delete("/api/v1/admin/notification-settings/pager_numbers")
    assert missing.status_code == 404 and "pager_numbers" in missing.json()["detail"]


def test_api_refuses_invalid_values_naming_each_and_writes_nothing(web: Web) -> None:
    api = _api(web, "admin")
    response = api.patch(
        "/api/v1/admin/notification-settings",
        json={"procurement_emails": "ok@example.com, not-an-address", "alerts_time": "8pm"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    detail = response.json()["detail"]
    assert "procurement_emails: 'not-an-address' is not an e-mail address" in detail
    assert "alerts_time: must be HH:MM (24-hour), got '8pm'" in detail
    unknown = api.patch("/api/v1/admin/notification-settings", json={"sms": "+1"})
    assert unknown.status_code == 422 and "sms" in unknown.text
    assert _rows(web) == {} and _audited(web) == []
