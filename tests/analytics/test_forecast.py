"""The forecast of a month follows the rules of a month's actual spend (hand-made data).

Invoiced contracts cost their invoices in the invoices' months, so the forecast puts
each recurring invoice in the month it will be dated; amortised contracts spread.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pandas as pd

from analytics.forecast import CONTRACT_COLUMNS, forecast_contracts, mape, wape
from analytics.spend import month_label, parse_month

AS_OF = parse_month("2026-11")


def _contract(**values: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(CONTRACT_COLUMNS)
    row.update(contract=1, basis="invoice", start=parse_month("2024-02"), renews=True)
    row.update(seat_priced=False)
    row.update(values)
    return row


def _forecast(
    rows: list[dict[str, Any]],
    history: list[tuple[int, str, str]] = (),  # type: ignore[assignment]
    schedule: list[tuple[int, str, str]] = (),  # type: ignore[assignment]
    horizon: int = 13,
) -> dict[str, Decimal]:
    """Return ``YYYY-MM → amount`` of the forecast (history/schedule months as labels)."""

    def frame(items: list[tuple[int, str, str]]) -> pd.DataFrame:
        return pd.DataFrame(
            [(c, parse_month(m), Decimal(a)) for c, m, a in items],
            columns=["contract", "month", "amount"],
        )

    out = forecast_contracts(
        pd.DataFrame(rows, columns=list(CONTRACT_COLUMNS)),
        frame(list(schedule)),
        frame(list(history)),
        pd.DataFrame([], columns=["product_id", "month", "seats"]),
        AS_OF,
        horizon,
    )
    got: dict[str, Decimal] = {}
    for month, amount in zip(out["month"], out["amount"], strict=True):
        got[month_label(int(month))] = got.get(month_label(int(month)), Decimal(0)) + amount
    return got


FEBRUARIES = [(1, "2024-02", "1200"), (1, "2025-02", "1200"), (1, "2026-02", "1200")]


def test_annual_invoice_every_february_is_forecast_in_february_in_full() -> None:
    """Invoiced 1,200 each February for 3 years: February 2027 costs 1,200, no month 100."""
    annual = _contract(cycle=12, end=parse_month("2027-01"), term=12)
    assert _forecast([annual], FEBRUARIES) == {"2027-02": Decimal(1200)}


def test_annual_invoices_recur_in_their_month_without_a_stated_cycle() -> None:
    """Invoices tied to no contract: a year apart, so yearly."""
    stream = _contract(cycle=None, start=0, end=None, term=None, renews=False)
    assert _forecast([stream], FEBRUARIES) == {"2027-02": Decimal(1200)}


def test_a_first_annual_invoice_recurs_a_year_later_not_as_a_run_rate() -> None:
    """One annual invoice 7 months ago is not 1/7 a month: the next one is in April."""
    slack = _contract(cycle=12, start=parse_month("2026-04"), end=parse_month("2027-03"))
    got = _forecast([slack], [(1, "2026-04", "286350")])
    assert got == {"2027-04": Decimal(286350)}


def test_monthly_invoices_recur_every_month_at_the_last_amount() -> None:
    monthly = _contract(cycle=1, end=parse_month("2027-12"), term=12)
    history = [(1, m, "100") for m in ("2026-08", "2026-09", "2026-10", "2026-11")]
    got = _forecast([monthly], history, horizon=12)
    assert got == {month_label(AS_OF + k): Decimal(100) for k in range(1, 13)}
    assert sum(got.values()) == Decimal(1200)


def test_a_monthly_invoice_not_in_yet_this_month_still_recurs() -> None:
    """Today's month counts as known: its invoice may come later in the month."""
    monthly = _contract(cycle=1, end=None, term=None)
    got = _forecast([monthly], [(1, "2026-09", "100"), (1, "2026-10", "100")], horizon=3)
    assert got == {"2026-12": Decimal(100), "2027-01": Decimal(100), "2027-02": Decimal(100)}


def test_annual_commitment_invoiced_monthly_replays_its_last_twelve_months() -> None:
    history = [(1, month_label(AS_OF - k), str(100 + k)) for k in range(12)]
    got = _forecast([_contract(cycle=12, end=None, term=None)], history, horizon=12)
    assert got == {month_label(AS_OF + 12 - k): Decimal(100 + k) for k in range(12)}


def test_an_amortised_contract_spreads_its_term_and_its_renewal() -> None:
    """1,200 a year amortised (no invoices): 100 a month, renewed at 100 with +10 %."""
    term = [(1, month_label(m), "100") for m in range(AS_OF + 1, parse_month("2027-03") + 1)]
    amortised = _contract(
        basis="schedule",
        start=parse_month("2026-04"),
        end=parse_month("2027-03"),
        term=12,
        uplift=Decimal("0.10"),
        renewal_monthly=Decimal(100),
        cycle=12,
    )
    got = _forecast([amortised], schedule=term, horizon=12)
    assert [got[month_label(m)] for m in range(AS_OF + 1, AS_OF + 13)] == (
        [Decimal(100)] * 4 + [Decimal("110.0")] * 8
    )


def test_a_contract_that_does_not_renew_sends_no_invoice_after_its_term() -> None:
    zoom = _contract(cycle=12, start=parse_month("2026-03"), end=parse_month("2027-02"))
    zoom["renews"] = False
    assert _forecast([zoom], [(1, "2026-03", "5996")]) == {}


def test_a_renewal_invoice_takes_the_uplift_once_per_renewal() -> None:
    """The current term's invoice +5 %; an invoice of an already renewed term is not."""
    renewing = _contract(
        cycle=12, start=parse_month("2024-02"), end=parse_month("2025-01"), term=12
    )
    renewing["uplift"] = Decimal("0.05")
    # The 2026-02 invoice is the 2nd renewal's: 2027-02 is the 3rd, one uplift on it.
    assert _forecast([renewing], FEBRUARIES) == {"2027-02": Decimal("1260.00")}


def test_invoices_tied_to_no_term_stop_when_more_than_a_month_overdue() -> None:
    stream = _contract(cycle=None, start=0, end=None, term=None, renews=False)
    history = [(1, "2026-07", "50"), (1, "2026-08", "50")]
    assert _forecast([stream], history) == {}  # September's and October's never came
    history.append((1, "2026-09", "50"))  # October's a month late, November's may come
    assert _forecast([stream], history, horizon=1) == {"2026-12": Decimal(50)}


def test_wape_weighs_months_by_money_and_counts_months_without_spend() -> None:
    """The demo's case: nothing spent in a month forecast at 187,604.65 is an error."""
    actual = [Decimal(0), Decimal(100), Decimal(300)]
    forecast = [Decimal(50), Decimal(110), Decimal(240)]
    assert wape(actual, forecast) == Decimal("30.00")  # (50 + 10 + 60) / 400
    assert mape(actual, forecast) == Decimal("15.00")  # the 0 month left out
    assert wape([Decimal(0)], [Decimal(1)]) is None
