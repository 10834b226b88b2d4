"""Background 'sync now' runs started from the UI, and their live progress for the page.

Progress lives in this process's memory (it only feeds the progress line); the durable
record of every run is its ``SyncRun`` row.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from app.core.settings import Settings
from app.sync.service import sync_connector


@dataclass
class Progress:
    """How far a background sync got."""

    records: int = 0
    running: bool = True
    status: str | None = None
    error: str | None = None


_lock = threading.Lock()
_progress: dict[str, Progress] = {}


def progress_of(name: str) -> Progress | None:
    """The progress of the connector's UI-started sync, if one ran in this process."""
    with _lock:
        return _progress.get(name)


def start_sync(*, engine: Engine, settings: Settings, name: str) -> bool:
    """Start a sync in a background thread; False when one is already running here."""
    with _lock:
        current = _progress.get(name)
        if current is not None and current.running:
            return False
        state = _progress[name] = Progress()

    def count(seen: int) -> None:
        state.records = seen

    def run() -> None:
        try:
            result = sync_connector(engine=engine, settings=settings, name=name, on_record=count)
            state.status, state.error = result.status, result.error
        except Exception as exc:  # the thread must never die silently
            state.status, state.error = "failed", f"{type(exc).__name__}: {exc}"
        finally:
            state.running = False

    threading.Thread(target=run, name=f"sync-{name}", daemon=True).start()
    return True
