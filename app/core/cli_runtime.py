"""What every CLI command shares: settings and engine built lazily, sessions, output."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import typer
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.core.days import DAY_RANGE, check_day
from app.core.db import make_engine, session_scope
from app.core.settings import Settings, load_settings


@dataclass
class CliState:
    """Per-process CLI state: ``--debug`` and the lazily built settings and engine."""

    debug: bool = False
    _settings: Settings | None = field(default=None, repr=False)
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        """Settings, loaded on first use so `--help` works with a broken environment."""
        if self._settings is None:
            self._settings = load_settings()
        return self._settings

    @property
    def engine(self) -> Engine:
        """The engine for ``SEATWISE_DATABASE_URL``."""
        if self._engine is None:
            self._engine = make_engine(self.settings.database_url)
        return self._engine


state = CliState()


@contextmanager
def db_session() -> Iterator[Session]:
    """A session committed when the command succeeds and rolled back when it fails."""
    with session_scope(state.engine) as session:
        yield session


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    raise TypeError(f"cannot serialise {type(value).__name__}")


def print_json(data: Any) -> None:
    """Write ``data`` as indented JSON to stdout (dates ISO 8601, money as decimal strings)."""
    json.dump(data, sys.stdout, default=_default, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def choice(value: str | None, allowed: Sequence[str], option: str) -> str | None:
    """An option taking one of ``allowed`` (any case); another value exits 2 naming them."""
    if value is None:
        return None
    clean = value.strip().lower()
    if clean not in allowed:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(allowed)}", param_hint=option)
    return clean


def parse_day(value: str, option: str) -> date:
    """A ``YYYY-MM-DD`` option; an impossible date or a year outside 1900-2999 exits 2.

    The bound (:mod:`app.core.days`, the API's too) keeps the windows reckoned from the
    day (a year back, months ahead) within the dates Python holds.
    """
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date; use YYYY-MM-DD", param_hint=option
        ) from None
    try:
        return check_day(day)
    except ValueError:
        raise typer.BadParameter(f"{value!r}: {DAY_RANGE}", param_hint=option) from None
