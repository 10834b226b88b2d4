"""The people list's monthly cost is in the reporting currency, never a sum of currencies."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlmodel import Session

from app.people.views import people_rows
from tests.spend.spend_rows import application, person, product, rate, seat

TODAY = date(2026, 12, 3)


def test_list_prices_in_other_currencies_are_converted_before_adding(session: Session) -> None:
    office = application(session, "Microsoft 365", "Microsoft")
    e3 = product(session, office, "E3")
    e3.list_price, e3.list_price_currency = Decimal("30.00"), "EUR"
    slack = application(session, "Slack", "Slack")
    pro = product(session, slack, "Pro")
    pro.list_price, pro.list_price_currency = Decimal("10.00"), "USD"
    free = product(session, slack, "Free")
    free.list_price, free.list_price_currency = None, None
    rate(session, "USD", "EUR", date(2026, 11, 30), "0.9")
    ann = person(session, "ann@example.com", "Sales", None)
    for held in (e3, pro, free):
        seat(session, ann, held)
    session.flush()

    page = people_rows(session=session, currency="EUR", today=TODAY)
    (row,) = page.items
    assert row["licences"] == 3
    assert round(Decimal(str(row["monthly_cost"])), 2) == Decimal("39.00")  # 30 + 10 * 0.9
