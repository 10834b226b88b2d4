"""The scheduler's e-mail jobs: daily alerts, weekly digest, monthly spend report.

Each reads the clock once (the job's "today" in ``SEATWISE_TIMEZONE``), queues through
the outbox (deduplicated, so a job run twice sends nothing twice) and delivers.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine

from app.core.db import utcnow
from app.core.settings import Settings
from app.notify import service as outbox
from app.notify.dispatch import run_alerts, run_digest, run_spend_report


def alerts_job(engine: Engine, settings: Settings) -> str:
    """Queue and deliver today's renewal, escalation, trial and free-seat alerts."""
    today = datetime.now(settings.tz).date()
    return run_alerts(engine=engine, settings=settings, as_of=today).summary()


def digest_job(engine: Engine, settings: Settings) -> str:
    """Queue and deliver this week's findings digest."""
    return run_digest(engine=engine, settings=settings, now=utcnow()).summary()


def spend_report_job(engine: Engine, settings: Settings) -> str:
    """Queue and deliver last month's spend report to finance."""
    today = datetime.now(settings.tz).date()
    return run_spend_report(engine=engine, settings=settings, as_of=today).summary()


def deliver_job(engine: Engine, settings: Settings) -> str:
    """Retry due outbox rows (schedule every few minutes so backoff retries happen)."""
    report = outbox.deliver_due(engine=engine, settings=settings)
    return f"sent {report.sent}, retrying {report.retrying}, given up {report.given_up}"
