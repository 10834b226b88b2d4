"""Notification settings overridden in the database win over the environment at run time."""

from __future__ import annotations

from datetime import UTC, date
from decimal import Decimal
from typing import Any

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlmodel import Session, col, select

from app.auth.models import AuditLog
from app.core.db import utcnow
from app.core.settings import SettingsError, load_settings
from app.findings.policies import analysis_policy
from app.jobs import SchedulerService, build_jobs
from app.notify import notification_settings as ns
from app.notify.dispatch import run_digest, run_spend_report
from app.notify.models import NotificationSetting
from tests.conftest import Database
from tests.notify.seed import (
    PROCUREMENT,
    HeldLock,
    opened,
    outbox,
    seed_contract,
    seed_finding,
    settings_for,
)
from tests.smtp_server import Mailbox, smtp_server

SETTINGS = settings_for(25)


def _audit(session: Session) -> list[AuditLog]:
    query = select(AuditLog).where(col(AuditLog.action).startswith("notification_setting."))
    return list(session.exec(query.order_by(col(AuditLog.id))))


def test_override_wins_over_the_environment_and_reset_restores_it(session: Session) -> None:
    changed = ns.update_notification_settings(
        session=session,
        settings=SETTINGS,
        values={"procurement_emails": " Deals@Example.com; cpo@example.com, deals@example.com"},
        actor="boss@example.com",
    )
    assert changed == ["procurement_emails"]
    effective = ns.effective_settings(session=session, settings=SETTINGS)
    assert effective.procurement_emails == ["deals@example.com", "cpo@example.com"]
    assert SETTINGS.procurement_emails == [PROCUREMENT]  # the defaults are left alone
    [view] = [
        v
        for v in ns.list_notification_settings(session=session, settings=SETTINGS)
        if v.key == "procurement_emails"
    ]
    assert (view.source, view.updated_by, view.default) == (
        "override",
        "boss@example.com",
        [PROCUREMENT],
    )

    assert ns.reset_notification_setting(
        session=session, settings=SETTINGS, key="procurement_emails", actor="boss@example.com"
    )
    assert ns.effective_settings(session=session, settings=SETTINGS).procurement_emails == [
        PROCUREMENT
    ]
    assert session.get(NotificationSetting, "procurement_emails") is None
    entries = _audit(session)
    assert [(e.action, e.target, e.actor) for e in entries] == [
        ("notification_setting.set", "procurement_emails", "boss@example.com"),
        ("notification_setting.reset", "procurement_emails", "boss@example.com"),
    ]
    assert entries[0].details == {
        "before": [PROCUREMENT],
        "after": ["deals@example.com", "cpo@example.com"],
    }
    assert entries[1].details["after"] == [PROCUREMENT]


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("procurement_emails", "ok@example.com, bob@", "'bob@' is not an e-mail address"),
        ("digest_schedule", "0 8 * *", "'0 8 * *' is not a crontab expression"),
        ("spend_report_schedule", "0 7 32 * *", "'0 7 32 * *' is not a crontab expression"),
        ("alerts_time", "25:00", "must be HH:MM (24-hour), got '25:00'"),
        ("renewal_alert_days", "90, soon", "must be comma-separated whole days"),
        ("trial_alert_days", [14, -3], "none negative"),
        ("escalation_days", -1, "greater than or equal to 0"),
        ("free_seats_threshold", "-2", "greater than or equal to 0"),
        ("sms_numbers", "+1 555", "not a notification setting"),
    ],
)
def test_invalid_value_is_refused_naming_it_and_nothing_is_written(
    session: Session, key: str, value: Any, message: str
) -> None:
    with pytest.raises(ns.NotificationSettingsInvalid) as caught:
        ns.update_notification_settings(
            session=session,
            settings=SETTINGS,
            values={"escalation_days": 5, key: value},
            actor="boss@example.com",
        )
    assert message in caught.value.problems[key]
    assert str(caught.value).startswith(f"{key}: ")
    assert session.exec(select(NotificationSetting)).all() == []
    assert _audit(session) == []


def test_the_environment_refuses_what_the_ui_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEATWISE_PROCUREMENT_EMAILS", "ok@example.com, bob@")
    monkeypatch.setenv("SEATWISE_DIGEST_SCHEDULE", "0 8 * *")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "SEATWISE_PROCUREMENT_EMAILS: 'bob@' is not an e-mail address" in str(caught.value)
    assert "SEATWISE_DIGEST_SCHEDULE: '0 8 * *' is not a crontab expression" in str(caught.value)


def test_blank_threshold_turns_free_seat_alerts_off_over_an_environment_default(
    session: Session,
) -> None:
    settings = settings_for(25, free_seats_threshold=3)
    ns.update_notification_settings(
        session=session, settings=settings, values={"free_seats_threshold": ""}, actor="a"
    )
    assert ns.effective_settings(session=session, settings=settings).free_seats_threshold is None
    row = session.get(NotificationSetting, "free_seats_threshold")
    assert row is not None and row.value is None


def test_saving_unchanged_values_writes_nothing(session: Session) -> None:
    texts = {
        v.key: v.text for v in ns.list_notification_settings(session=session, settings=SETTINGS)
    }
    assert (
        ns.update_notification_settings(
            session=session, settings=SETTINGS, values=texts, actor="boss@example.com"
        )
        == []
    )
    assert session.exec(select(NotificationSetting)).all() == [] and _audit(session) == []


def test_a_hand_edited_bad_row_is_ignored_not_fatal(session: Session) -> None:
    session.add(NotificationSetting(key="digest_schedule", value="every monday", updated_by="sql"))
    session.flush()
    effective = ns.effective_settings(session=session, settings=SETTINGS)
    assert effective.digest_schedule == SETTINGS.digest_schedule


def test_renewal_horizon_of_the_analysis_follows_the_overridden_alert_days(
    session: Session,
) -> None:
    assert analysis_policy(session=session, settings=SETTINGS).renewal_horizon_days == 90
    ns.update_notification_settings(
        session=session, settings=SETTINGS, values={"renewal_alert_days": "120, 30"}, actor="a"
    )
    assert analysis_policy(session=session, settings=SETTINGS).renewal_horizon_days == 120


def _override(db: Database, **values: Any) -> None:
    with opened(db.engine) as s:
        ns.update_notification_settings(session=s, settings=SETTINGS, values=values, actor="t")


def test_changed_digest_schedule_and_alerts_time_give_new_triggers(
    committed_db: Database,
) -> None:
    before = {spec.id: spec for spec in build_jobs(committed_db.engine, SETTINGS)}
    assert before["digest"].schedule == "0 8 * * mon"
    _override(committed_db, digest_schedule="30 6 * * fri", alerts_time="7:15")
    after = {spec.id: spec for spec in build_jobs(committed_db.engine, SETTINGS)}
    assert after["digest"].schedule == "30 6 * * fri"
    assert "day_of_week='fri', hour='6', minute='30'" in repr(after["digest"].trigger)
    assert after["alerts"].schedule == "daily at 07:15"
    assert "hour='7', minute='15'" in repr(after["alerts"].trigger)
    assert repr(after["spend_report"].trigger) == repr(before["spend_report"].trigger)


def _cron(expression: str) -> str:
    return repr(CronTrigger.from_crontab(expression, timezone=UTC))


def test_running_scheduler_reschedules_a_changed_schedule_on_its_next_poll(
    committed_db: Database,
) -> None:
    service = SchedulerService(committed_db.engine, SETTINGS, lock=HeldLock())
    service._scheduler = BackgroundScheduler(timezone=UTC)
    try:
        service._tick()
        job = service._scheduler.get_job("spend_report")
        assert job is not None and repr(job.trigger) == _cron("0 7 1 * *")
        _override(committed_db, spend_report_schedule="0 9 2 * *")
        service._tick()
        job = service._scheduler.get_job("spend_report")
        assert job is not None and repr(job.trigger) == _cron("0 9 2 * *")
    finally:
        service._scheduler = None


def test_alerts_send_delivers_to_the_procurement_list_set_in_the_database(
    committed_db: Database, cli: Any
) -> None:
    seed_contract(committed_db.engine, renewal_date=date(2027, 3, 1))
    with smtp_server() as (port, mailbox):
        env = {
            "SEATWISE_SMTP_PORT": str(port),
            "SEATWISE_SMTP_TIMEOUT": "5",
            "SEATWISE_MAIL_FROM": "seatwise@example.com",
            "SEATWISE_PROCUREMENT_EMAILS": PROCUREMENT,
            "SEATWISE_ENVIRONMENT": "test",
        }
        set_ = cli("notify-settings", "set", "procurement_emails", "deals@example.com", env=env)
        assert set_.exit_code == 0, set_.stderr
        assert "procurement_emails: deals@example.com" in set_.stdout
        shown = cli("notify-settings", "show", env=env).stdout
        assert "deals@example.com" in shown and "[set by cli]" in shown
        result = cli("alerts", "send", "--as-of", "2027-01-30", env=env)
        assert result.exit_code == 0, result.stderr
        assert _recipients(mailbox) == {"owner@example.com", "deals@example.com"}
    assert {r.recipient for r in outbox(committed_db.engine)} == {
        "owner@example.com",
        "deals@example.com",
    }


def test_cli_refuses_a_bad_value_naming_it(committed_db: Database, cli: Any) -> None:
    result = cli("notify-settings", "set", "alerts_time", "8 o'clock")
    assert result.exit_code == 1
    assert 'alerts_time: must be HH:MM (24-hour), got "8 o\'clock"' in result.stderr
    reset = cli("notify-settings", "reset", "alerts_time")
    assert reset.exit_code == 0 and "was not overridden" in reset.stdout


def test_digest_and_spend_report_go_to_the_overridden_lists(committed_db: Database) -> None:
    seeded = seed_contract(
        committed_db.engine,
        renewal_date=date(2027, 3, 1),
        unit_price=Decimal("12.00"),
        billing_cycle="monthly",
    )
    seed_finding(
        committed_db.engine, application_id=seeded.application_id, key="f1", savings=Decimal(5)
    )
    _override(committed_db, finance_emails="cfo@example.com", digest_emails="cio@example.com")
    with smtp_server() as (port, mailbox):
        settings = settings_for(
            port, finance_emails=["old-cfo@example.com"], digest_emails=["old-cio@example.com"]
        )
        report = run_spend_report(
            engine=committed_db.engine, settings=settings, as_of=date(2026, 12, 1)
        )
        assert report.queued == 1
        digest = run_digest(engine=committed_db.engine, settings=settings, now=utcnow())
        assert digest.queued == 1
        assert _recipients(mailbox) == {"cfo@example.com", "cio@example.com"}


def _recipients(mailbox: Mailbox) -> set[str]:
    with mailbox.lock:
        return {str(m["To"]).strip().lower() for m in mailbox.messages}
