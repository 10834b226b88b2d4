"""The scheduler's sync job: one connector, recorded as a sync run and a job run."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from app.core.errors import SeatwiseError
from app.core.settings import Settings
from app.sync.service import sync_connector


class SyncJobFailed(SeatwiseError):
    """The scheduled sync failed; raised so the scheduler skips the analysis after it."""


def sync_job(engine: Engine, settings: Settings, name: str) -> str:
    """Sync connector ``name``; raise when the run failed (its reason is the message)."""
    result = sync_connector(engine=engine, settings=settings, name=name)
    if result.status != "succeeded":
        raise SyncJobFailed(f"sync of {name} failed (run {result.run_id}): {result.error}")
    counts = ", ".join(f"{k} {v}" for k, v in sorted(result.counts.items()))
    return f"synced {name} (run {result.run_id}{': ' + counts if counts else ''})"
