"""What the renewal-alert tests share: the renewal date, an SMTP server, report lines, decisions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlmodel import Session

from app.notify.dispatch import PlannedLine, RunReport
from app.renewals.service import set_state
from tests.conftest import Database
from tests.smtp_server import Mailbox, smtp_server

RENEWAL = date(2027, 3, 1)


@pytest.fixture
def smtp() -> Iterator[tuple[int, Mailbox]]:
    with smtp_server() as server:
        yield server


def _renewals(report: RunReport) -> list[PlannedLine]:
    return [line for line in report.planned if line.kind == "renewal"]


def _set_renewal(db: Database, contract: str, day: date, **change: str) -> None:
    """``seatwise renewals set CONTRACT …`` on ``day``."""
    with Session(db.engine) as s:
        set_state(session=s, contract_number=contract, as_of=day, actor="test", **change)
        s.commit()
