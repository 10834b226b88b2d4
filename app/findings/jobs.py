"""The scheduler's analysis job: run every rule as of today (local time) and commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine

from app.core.db import session_scope
from app.core.settings import Settings
from app.findings.service import analyze


def analyze_job(engine: Engine, settings: Settings) -> str:
    """Analyze the inventory as of today in ``SEATWISE_TIMEZONE``; a one-line summary."""
    today = datetime.now(settings.tz).date()
    with session_scope(engine) as session:
        summary = analyze(session=session, settings=settings, today=today)
    found = sum(summary.counts.values())
    return (
        f"analyzed as of {today.isoformat()}: {found} findings "
        f"({summary.new} new, {summary.resolved} resolved, {summary.reopened} reopened)"
    )
