"""The scheduler's e-mail and sync jobs, run the way the scheduler runs them."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from app.jobs import _named, _sync_then_analyze, run_recorded
from app.sync.models import ConnectorConfig
from tests.conftest import Database
from tests.notify.seed import opened, outbox, seed_contract, settings_for
from tests.smtp_server import free_port, smtp_server


def test_alerts_job_sends_todays_alerts_and_is_recorded(committed_db: Database) -> None:
    with smtp_server() as (port, mailbox):
        settings = settings_for(port)
        today = datetime.now(settings.tz).date()
        seed_contract(committed_db.engine, renewal_date=today + timedelta(days=30))
        run = run_recorded(
            committed_db.engine, settings, "alerts", _named("app.notify.jobs:alerts_job")
        )
        assert run.outcome == "succeeded", run.detail
        assert run.detail is not None and "2 queued; sent 2" in run.detail
        assert len(mailbox.messages) == 2
        again = run_recorded(
            committed_db.engine, settings, "alerts", _named("app.notify.jobs:alerts_job")
        )
        assert again.detail is not None and "0 queued" in again.detail
    assert len(outbox(committed_db.engine)) == 2


def test_digest_and_spend_report_jobs_without_recipients_send_nothing(
    committed_db: Database,
) -> None:
    settings = settings_for(1)
    for job in ("digest_job", "spend_report_job"):
        run = run_recorded(committed_db.engine, settings, job, _named(f"app.notify.jobs:{job}"))
        assert run.outcome == "succeeded", run.detail
        assert run.detail is not None and "0 due" in run.detail


def test_failed_sync_job_is_recorded_failed_and_skips_analysis(committed_db: Database) -> None:
    with opened(committed_db.engine) as s:
        s.add(
            ConnectorConfig(
                kind="spreadsheet", name="sheet", config={"path": "/nonexistent/seats.csv"}
            )
        )
    run = run_recorded(
        committed_db.engine, settings_for(1), "sync:sheet", _sync_then_analyze("sheet")
    )
    assert run.outcome == "failed"
    assert run.detail is not None and "sync of sheet failed" in run.detail


def test_alerts_job_with_smtp_down_is_recorded_failed_and_keeps_the_mail(
    committed_db: Database,
) -> None:
    """The job's record must show mail did not go out; the rows wait for the retry job."""
    port = free_port()
    settings = settings_for(port)
    today = datetime.now(settings.tz).date()
    seed_contract(committed_db.engine, renewal_date=today + timedelta(days=30))
    run = run_recorded(
        committed_db.engine, settings, "alerts", _named("app.notify.jobs:alerts_job")
    )
    assert run.outcome == "failed"
    assert run.detail is not None
    assert "2 queued; sent 0, retrying 2" in run.detail
    assert "2 e-mail(s) not delivered (2 will be retried, 0 given up)" in run.detail
    assert f"cannot deliver through SMTP 127.0.0.1:{port}" in run.detail
    assert [r.status for r in outbox(committed_db.engine)] == ["pending", "pending"]
    with smtp_server(port=port) as (_, mailbox):
        with opened(committed_db.engine) as s:
            s.execute(sa.text("UPDATE notification SET next_attempt_at = NULL"))
        retried = run_recorded(
            committed_db.engine, settings, "deliver", _named("app.notify.jobs:deliver_job")
        )
        assert retried.outcome == "succeeded", retried.detail
        assert retried.detail == "sent 2, retrying 0, given up 0"
        assert len(mailbox.messages) == 2
