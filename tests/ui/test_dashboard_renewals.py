"""The dashboard's renewals panel lists what the renewals page lists: no trials."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session

from app.dashboard.views import upcoming_renewals
from app.inventory.models import Application, Subscription, Vendor

TODAY = date(2026, 12, 3)


def test_trials_are_left_out_of_the_renewals_panel(session: Session) -> None:
    vendor = Vendor(name="Miro")
    session.add(vendor)
    session.flush()
    app = Application(name="Miro", vendor_id=vendor.id)
    session.add(app)
    session.flush()
    assert vendor.id is not None and app.id is not None
    for number, trial in (("MIRO-1", False), ("MIRO-TRIAL-1", True)):
        session.add(
            Subscription(
                vendor_id=vendor.id, application_id=app.id, contract_number=number,
                start_date=TODAY - timedelta(days=20), renewal_date=TODAY + timedelta(days=10),
                currency="EUR", is_trial=trial,
            )
        )  # fmt: skip
    session.flush()
    listed = [r["contract"] for r in upcoming_renewals(session=session, today=TODAY)]
    assert listed == ["MIRO-1"]
