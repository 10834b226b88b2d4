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
from app.notify.dispatch import RunReport, run_alerts, run_digest, run_spend_report


def _checked(report: RunReport) -> str:
    """The run's summary; a failed job (mail queued, not all delivered) if it fell short."""
    if report.delivery is not None:
        _raise_if_undelivered(report.summary(), report.delivery)
    return report.summary()


def _raise_if_undelivered(summary: str, delivery: outbox.DeliveryReport) -> None:
    if problem := delivery.problem():
        first = (delivery.errors or ["?"])[0]
        raise outbox.DeliveryProblem(f"{summary}; {problem}, first: {first}")


def alerts_job(engine: Engine, settings: Settings) -> str:
    """Queue and deliver today's renewal, escalation, trial and free-seat alerts."""
    today = datetime.now(settings.tz).date()
    return _checked(run_alerts(engine=engine, settings=settings, as_of=today))


def digest_job(engine: Engine, settings: Settings) -> str:
    """Queue and deliver this week's findings digest."""
    return _checked(run_digest(engine=engine, settings=settings, now=utcnow()))


def spend_report_job(engine: Engine, settings: Settings) -> str:
    """Queue and deliver last month's spend report to finance."""
    today = datetime.now(settings.tz).date()
    return _checked(run_spend_report(engine=engine, settings=settings, as_of=today))


def deliver_job(engine: Engine, settings: Settings) -> str:
    """Retry due outbox rows (schedule every few minutes so backoff retries happen)."""
    report = outbox.deliver_due(engine=engine, settings=settings)
    summary = f"sent {report.sent}, retrying {report.retrying}, given up {report.given_up}"
    _raise_if_undelivered(summary, report)
    return summary
