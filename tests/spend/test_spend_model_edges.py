"""Edges of the spend model behind the reports: term ends, month bounds, FX days.

Figures are worked out by hand from issue 6's rules: amortised cost spread evenly over
the term's months (leftover cents to the earliest), converted at the rate of the
month's last day; invoices in the month of their date; a contract's monthly cost shared
by the seats held at the end of the month (held from the month of ``assigned_at`` until
the month of ``removed_at``, excluded), unassigned seats to "Unallocated".
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlmodel import Session

from app.people.models import Account
from app.spend.fx import FxTable, MissingFxRateError, set_rate
from app.spend.service import spend_reports
from tests.spend.spend_rows import application, contract, invoice, person, product, seat

JAN_2026 = 2026 * 12
CENT = Decimal("0.01")


def _cells(session: Session, by: str, months: int, currency: str = "EUR") -> dict[str, list[str]]:
    (report,) = spend_reports(
        session=session, by=[by], first=JAN_2026, last=JAN_2026 + months - 1, currency=currency
    )
    return {row.key: [str(v.quantize(CENT)) for v in row.months] for row in report.rows}


def test_a_term_ending_at_renewal_stops_the_day_before_the_renewal_date(session: Session) -> None:
    """No end date, renewing 2027-01-01: the term is 2026-01-01..2026-12-31, 12 months of
    1,200.00 / 12 = 100.00, and nothing is charged in January 2027."""
    app = application(session, "Renewing", "Renco")
    contract(session, app, "REN-1", total_cost="1200.00", end_date=None,
             renewal_date=date(2027, 1, 1))  # fmt: skip
    assert _cells(session, "app", 13)["Renewing"] == ["100.00"] * 12 + ["0.00"]


def test_an_open_ended_contract_starts_its_billing_cycles_at_its_start_month(
    session: Session,
) -> None:
    """Quarterly, 100.00 a cycle, from February: each cycle is 33.34, 33.33, 33.33, the
    leftover cent in the cycle's first month (February, May)."""
    app = application(session, "Quarterly", "Qco")
    contract(session, app, "Q-1", total_cost="100.00", billing_cycle="quarterly",
             start_date=date(2026, 2, 1), end_date=None)  # fmt: skip
    assert _cells(session, "app", 5)["Quarterly"] == [
        "0.00", "33.34", "33.33", "33.33", "33.34",
    ]  # fmt: skip


def test_an_invoice_on_the_last_day_of_the_period_counts(session: Session) -> None:
    app = application(session, "Billed", "Bco")
    sub = contract(session, app, "B-1", total_cost="999", end_date=date(2026, 12, 31))
    invoice(session, "Bco", "INV-LAST", date(2026, 3, 31), "75.00", sub=sub)
    assert _cells(session, "vendor", 3)["Bco"] == ["0.00", "0.00", "75.00"]


def test_amortised_cost_converts_at_the_rate_of_the_months_last_day(session: Session) -> None:
    """300.00 USD over January..March 2026 = 100.00 USD a month. Rates USD→EUR: 0.5 on
    1 January, 0.8 on 31 January, 0.9 on 28 February, 1.1 on 31 March → 80.00, 90.00,
    110.00 EUR (the first-of-month rates would give 50.00, 80.00, 90.00)."""
    app = application(session, "Dollar", "Dco")
    contract(session, app, "USD-1", total_cost="300.00", currency="USD",
             end_date=date(2026, 3, 31))  # fmt: skip
    for day, rate in [((1, 1), "0.5"), ((1, 31), "0.8"), ((2, 28), "0.9"), ((3, 31), "1.1")]:
        set_rate(session=session, base="USD", quote="EUR", day=date(2026, *day),
                 rate=Decimal(rate))  # fmt: skip
    assert _cells(session, "app", 3)["Dollar"] == ["80.00", "90.00", "110.00"]


def test_seat_counts_from_its_assigned_month_until_its_removed_month(session: Session) -> None:
    """4 seats x 120.00 a year = 40.00 a month, 10.00 a seat. Bob (Sales) holds a seat
    throughout; Alice (Engineering) from 10 February until 5 March: at the end of
    February she holds one, at the end of January and March she does not."""
    app = application(session, "Chat", "Acme")
    prod = product(session, app, "chat")
    contract(session, app, "CHAT-1", product_id=prod.id, seats=4, unit_price="120",
             end_date=date(2026, 12, 31))  # fmt: skip
    seat(session, person(session, "bob@example.com", "Sales", None), prod)
    seat(session, person(session, "alice@example.com", "Engineering", None), prod,
         assigned=date(2026, 2, 10), removed=date(2026, 3, 5))  # fmt: skip
    assert _cells(session, "department", 3) == {
        "Engineering": ["0.00", "10.00", "0.00"],
        "Sales": ["10.00", "10.00", "10.00"],
        "Unallocated": ["30.00", "20.00", "30.00"],
    }


def test_a_rate_exactly_at_the_look_back_limit_still_converts(session: Session) -> None:
    """A rate may be up to 366 days older than the day it converts on, not 367."""
    set_rate(session=session, base="USD", quote="EUR", day=date(2026, 1, 1), rate=Decimal("0.8"))
    table = FxTable.load(session=session)
    assert table.rate("USD", "EUR", date(2026, 1, 1) + timedelta(days=366)) == Decimal("0.8")
    with pytest.raises(MissingFxRateError):
        table.rate("USD", "EUR", date(2026, 1, 1) + timedelta(days=367))


def test_a_stored_pair_wins_over_the_inverse_of_its_reverse_quoted_the_same_day(
    session: Session,
) -> None:
    day = date(2026, 5, 1)
    set_rate(session=session, base="USD", quote="EUR", day=day, rate=Decimal("0.8"))
    set_rate(session=session, base="EUR", quote="USD", day=day, rate=Decimal("1.3"))
    table = FxTable.load(session=session)
    assert table.rate("USD", "EUR", day) == Decimal("0.8")
    assert table.rate("EUR", "USD", day) == Decimal("1.3")


def test_a_holder_without_a_department_takes_their_accounts_department(session: Session) -> None:
    """The people list has no department for Erin; the vendor account says Support: her
    seat's share (1 of 2 seats of 20.00 a month) goes to Support, not "Unallocated"."""
    app = application(session, "Desk", "Deskco")
    prod = product(session, app, "desk")
    contract(session, app, "DESK-1", product_id=prod.id, seats=2, unit_price="120",
             end_date=date(2026, 12, 31))  # fmt: skip
    assignment = seat(session, person(session, "erin@example.com", None, None), prod)
    account = session.get(Account, assignment.account_id)
    assert account is not None
    account.department = "Support"
    session.add(account)
    session.flush()
    assert _cells(session, "department", 1) == {"Support": ["10.00"], "Unallocated": ["10.00"]}
