"""The demo's analyze step runs the analysis on the demo company and reports it."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, func, select

from app.core.settings import Settings
from app.findings.demo import analyze_demo
from app.findings.models import Finding
from tests.conftest import Database
from tests.findings.company import build_company
from tests.findings.factories import TODAY


@dataclass
class _Context:
    engine: object
    settings: Settings
    today: object
    said: list[str] = field(default_factory=list)

    def say(self, message: str) -> None:
        self.said.append(message)


def test_demo_step_stores_findings_and_reports_savings(committed_db: Database) -> None:
    with Session(committed_db.engine) as session:
        planted = build_company(session)
        session.commit()
    context = _Context(
        committed_db.engine, Settings(environment="test", secret_key="k" * 40), TODAY
    )
    analyze_demo(context)
    with Session(committed_db.engine) as session:
        assert session.exec(select(func.count()).select_from(Finding)).one() == len(
            planted.expected
        )
    assert "113.33 EUR" in context.said[0] and "unused_seat" in context.said[0]
