"""The dashboard's "seats bought" is the total of the Applications list it links to."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from app.dashboard.views import seat_totals
from app.inventory.views import application_rows
from tests.spend.spend_rows import application, contract, product

TODAY = date(2026, 12, 3)


def test_seats_bought_counts_contract_seats_where_the_vendor_reports_none(
    session: Session,
) -> None:
    reported = application(session, "Microsoft 365", "Microsoft")
    e3 = product(session, reported, "Office 365 E3")
    e3.seats_purchased = 100
    free = product(session, reported, "Power BI (free)")
    free.seats_purchased, free.list_price = 1_000_000, 0  # free SKUs are no seats bought
    contract(session, reported, "MS-1", seats=90)  # the vendor's figure wins
    unreported = application(session, "Miro", "Miro")
    contract(session, unreported, "MIRO-1", seats=25)
    contract(session, unreported, "MIRO-2", seats=15)
    contract(session, unreported, "MIRO-OLD", seats=500, end_date=date(2025, 12, 31))
    application(session, "Notion", "Notion")  # neither: none bought
    session.flush()

    page = application_rows(session=session, currency="EUR", today=TODAY)
    listed = {row["name"]: row["bought"] for row in page.items}
    assert listed == {"Microsoft 365": 100, "Miro": 40, "Notion": 0}
    assert seat_totals(session=session, today=TODAY).bought == 140 == sum(listed.values())
