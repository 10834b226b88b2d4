"""Forecast: renewals with uplift, contract ends, seat trend, and the back-test MAPE."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlmodel import Session

from analytics.forecast import CONTRACT_COLUMNS, forecast_contracts, mape
from tests.conftest import Database
from tests.spend.spend_rows import application, contract, invoice

AS_OF = 2026 * 12 + 10  # 2026-11


def _contract(**values: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(CONTRACT_COLUMNS)
    row.update(
        contract=1,
        basis="schedule",
        start=AS_OF - 11,
        renews=False,
        seat_priced=False,
        monthly_billing=False,
    )
    row.update(values)
    return row


def _run(
    rows: list[dict[str, Any]],
    schedule: list[tuple[int, int, str]] = (),  # type: ignore[assignment]
    history: list[tuple[int, int, str]] = (),
    seats: list[tuple[int, int, int]] = (),  # type: ignore[assignment]
    horizon: int = 12,
) -> dict[int, Decimal]:
    frame = forecast_contracts(
        pd.DataFrame(rows, columns=list(CONTRACT_COLUMNS)),
        pd.DataFrame(
            [(c, m, Decimal(a)) for c, m, a in schedule], columns=["contract", "month", "amount"]
        ),
        pd.DataFrame(
            [(c, m, Decimal(a)) for c, m, a in history], columns=["contract", "month", "amount"]
        ),
        pd.DataFrame(list(seats), columns=["product_id", "month", "seats"]),
        AS_OF,
        horizon,
    )
    return {int(m) - AS_OF: a for m, a in zip(frame["month"], frame["amount"], strict=True)}


def test_contract_ending_without_renewal_costs_nothing_after_its_end() -> None:
    got = _run(
        [_contract(end=AS_OF + 2, term=12)], schedule=[(1, AS_OF + 1, "100"), (1, AS_OF + 2, "100")]
    )
    assert got == {1: Decimal(100), 2: Decimal(100)}


def test_auto_renewal_continues_with_uplift() -> None:
    got = _run(
        [
            _contract(
                end=AS_OF + 2,
                term=12,
                renews=True,
                uplift=Decimal("0.10"),
                renewal_monthly=Decimal(100),
            )
        ],
        schedule=[(1, AS_OF + 1, "100"), (1, AS_OF + 2, "100")],
    )
    assert got[2] == Decimal(100) and got[3] == Decimal("110.0") and got[12] == Decimal("110.0")


def test_monthly_invoices_forecast_the_mean_of_the_last_three_months() -> None:
    history = [(1, AS_OF - 2, "90"), (1, AS_OF - 1, "100"), (1, AS_OF, "110")]
    got = _run([_contract(basis="invoice")], history=history, horizon=2)
    assert got == {1: Decimal(100), 2: Decimal(100)}


def test_annual_invoice_recurs_in_its_month() -> None:
    history = [(1, AS_OF - 13, "1200"), (1, AS_OF - 1, "1200")]
    got = _run([_contract(basis="invoice", start=AS_OF - 13)], history=history)
    assert got == {11: Decimal(1200)}


def test_seat_trend_scales_monthly_seat_priced_contracts() -> None:
    seats = [(7, AS_OF - 2, 10), (7, AS_OF - 1, 11), (7, AS_OF, 12)]
    got = _run(
        [_contract(product_id=7, seat_priced=True, monthly_billing=True)],
        schedule=[(1, AS_OF + 1, "120"), (1, AS_OF + 2, "120")],
        seats=seats,
        horizon=2,
    )
    assert abs(got[1] - 130) < Decimal("0.01") and abs(got[2] - 140) < Decimal("0.01")


def test_mape_skips_zero_months_and_is_none_without_actuals() -> None:
    assert mape(
        [Decimal(100), Decimal(0), Decimal(200)], [Decimal(90), Decimal(5), Decimal(220)]
    ) == Decimal("10.00")
    assert mape([Decimal(0)], [Decimal(1)]) is None


def test_forecast_refuses_an_uplift_for_no_contract_or_below_minus_100(
    committed_db: Database, cli: Any
) -> None:
    with Session(committed_db.engine) as s:
        contract(s, application(s, "Metered", "Meterco"), "M-1", total_cost="1200")
        s.commit()
    unknown = cli("report", "forecast", "--today", "2026-11-25", "--uplift", "NOPE=5")
    assert unknown.exit_code == 1 and "NOPE" in unknown.stderr
    negative = cli("report", "forecast", "--today", "2026-11-25", "--uplift", "M-1=-150")
    assert negative.exit_code == 2 and "-100" in negative.stderr
    for ok in ("M-1=5", "*=-20"):
        assert cli("report", "forecast", "--today", "2026-11-25", "--uplift", ok).exit_code == 0


def test_forecast_command_prints_backtest_mape(committed_db: Database, cli: Any) -> None:
    with Session(committed_db.engine) as s:
        app = application(s, "Metered", "Meterco")
        sub = contract(s, app, "M-1", billing_cycle="monthly", auto_renew=True)
        amounts = ["100"] * 7 + ["110", "120", "130"]
        for month, amount in enumerate(amounts, start=1):
            invoice(s, "Meterco", f"M-{month}", date(2026, month, 5), amount, sub=sub)
        s.commit()
    result = cli("report", "forecast", "--today", "2026-11-25")
    assert result.exit_code == 0, result.stderr
    # Held out Aug..Oct, forecast from May..Jul: 100 each → |10/110|, |20/120|, |30/130|.
    assert "MAPE 16.28%" in result.stdout
    assert "2026-08..2026-10" in result.stdout
    data = json.loads(cli("report", "forecast", "--today", "2026-11-25", "--format", "json").stdout)
    assert data["backtest"]["mape_percent"] == "16.28"
    assert data["months"][0] == "2026-12" and len(data["months"]) == 12
    # Forward: mean of Sep..Nov (Nov has no invoice yet → 120, 130, 0 is not "monthly")
    assert data["rows"][0]["key"] == "Metered"
