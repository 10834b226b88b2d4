"""Adding the Microsoft 365 connector, and reading its latest run."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from app.core.db import session_scope
from app.core.settings import Settings
from app.sync import configs
from app.sync.models import SyncRun


def _add(engine: Any, settings: Settings, name: str, config: dict[str, Any]) -> None:
    with session_scope(engine) as session:
        configs.add_connector(
            session=session, settings=settings, kind="microsoft365", name=name, config=config
        )


def _last_run(engine: Any) -> SyncRun:
    with Session(engine) as session:
        runs = session.exec(select(SyncRun).order_by(SyncRun.id.desc())).all()  # type: ignore[union-attr]
        return runs[0]
