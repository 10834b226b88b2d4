"""The dashboard's renewals panel lists what the renewals page lists: no trials."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session

from app.dashboard.views import upcoming_renewals
from tests.spend.spend_rows import application, contract

TODAY = date(2026, 12, 3)


def test_trials_are_left_out_of_the_renewals_panel(session: Session) -> None:
    app = application(session, "Miro", "Miro")
    for number, trial in (("MIRO-1", False), ("MIRO-TRIAL-1", True)):
        contract(
            session, app, number, start_date=TODAY - timedelta(days=20),
            renewal_date=TODAY + timedelta(days=10), is_trial=trial,
        )  # fmt: skip
    listed = [r["contract"] for r in upcoming_renewals(session=session, today=TODAY)]
    assert listed == ["MIRO-1"]
