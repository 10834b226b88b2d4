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


def test_a_page_sorted_by_a_person_column_holds_that_slice_with_each_persons_own_figures(
    session: Session,
) -> None:
    """The page is chosen among the people first, then only its people's seats are added
    up: it must be the very slice (and figures) of the list with everyone added up."""
    office = application(session, "Microsoft 365", "Microsoft")
    e3 = product(session, office, "E3")
    e3.list_price, e3.list_price_currency = Decimal("30.00"), "EUR"
    people = []
    for i in range(12):
        someone = person(session, f"p{i:02d}@example.com", f"Dept {i % 3}", None)
        someone.display_name, someone.status = f"Name {11 - i:02d}", "left" if i % 4 else "active"
        people.append(someone)
    for i, someone in enumerate(people):
        for _ in range(i % 3):
            seat(session, someone, product(session, office, f"P{i}-{_}"))
        seat(session, someone, e3)
    session.flush()

    def rows(**kw: object) -> list[tuple[object, ...]]:
        page = people_rows(session=session, currency="EUR", today=TODAY, **kw)  # type: ignore[arg-type]
        return [(r["email"], r["accounts"], r["licences"], r["monthly_cost"]) for r in page.items]

    for sort in ("email", "-name", "department", "-department"):
        for status in ("", "left"):
            everyone = rows(sort=sort, status=status, limit=100)
            assert len(everyone) == (12 if not status else 9)
            pages = [rows(sort=sort, status=status, limit=5, offset=o) for o in (0, 5, 10)]
            assert [r for page in pages for r in page] == everyone
    by_licences = {r[0]: r[2] for r in rows(sort="-licences", limit=100)}
    assert by_licences == {f"p{i:02d}@example.com": 1 + i % 3 for i in range(12)}
    first_two = rows(search="p1", sort="name", limit=2)
    assert [(r[0], r[2]) for r in first_two] == [("p11@example.com", 3), ("p10@example.com", 2)]
