"""End to end: a small inventory in the database, analyzed, every planted case found."""

from __future__ import annotations

from sqlmodel import Session, select

from app.core.settings import Settings
from app.findings.models import Finding
from app.findings.service import analyze
from tests.findings.company import build_company
from tests.findings.factories import TODAY

SETTINGS = Settings(environment="test", secret_key="k" * 40)


def test_every_planted_case_found_with_savings_to_the_cent_and_nothing_else(
    session: Session,
) -> None:
    planted = build_company(session)
    analyze(session=session, settings=SETTINGS, today=TODAY)
    rows = session.exec(select(Finding)).all()
    got = {
        r.key: (r.subject, None if r.monthly_savings is None else f"{r.monthly_savings:.2f}")
        for r in rows
    }
    assert got == planted.expected
