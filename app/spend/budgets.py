"""Yearly budgets per department or cost centre, against actual and forecast spend.

For a budget of year ``Y``: *actual* is the spend of ``Y``'s months up to and including
today's month (the spend model, allocated by seats); *forecast* is actual plus the
forecast of ``Y``'s remaining months (``app.spend.forecast_lines``), plus what of
today's month's forecast (as of last month's end) has not arrived yet. Both are in the
budget's own currency. ``budget_overrun`` findings come from the pure
``analytics.spend.find_budget_overruns``; ``budget_overrun_findings`` runs it here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as lite_insert
from sqlmodel import Session, col, select

from analytics.model import Finding
from analytics.spend import find_budget_overruns, month_index
from app.core.db import MAX_MONEY, MONEY_SCALE, get_row, inexact
from app.core.errors import InvalidInputError, NotFoundError
from app.people.models import Person
from app.spend.allocation import assign_keys
from app.spend.forecast_lines import forecast_lines
from app.spend.forecast_service import MAX_HORIZON
from app.spend.fx import FxTable, normalise_currency
from app.spend.models import Budget
from app.spend.service import convert, money
from app.spend.spend_lines import actual_lines, load_contracts

SCOPES = ("department", "cost_centre")


def parse_amount(text: str | Decimal) -> Decimal:
    """Return a budget amount: a number of at most 4 decimals, not negative.

    Raises:
        InvalidInputError: The amount is not a number or is negative.
    """
    try:
        amount = text if isinstance(text, Decimal) else Decimal(str(text).strip())
    except InvalidOperation:
        raise InvalidInputError(f"budget amount must be a number, got {text!r}") from None
    if not amount.is_finite():
        raise InvalidInputError(f"budget amount must be a number, got {text!r}")
    if amount < 0:
        raise InvalidInputError(f"budget amount must not be negative, got {text}")
    if amount >= MAX_MONEY:
        raise InvalidInputError(f"budget amount must be below 10^14, got {text}")
    if (problem := inexact(amount, scale=MONEY_SCALE)) is not None:
        raise InvalidInputError(f"budget amount {text} {problem}")
    return amount


def check_year(year: int) -> int:
    """Refuse a year outside 2000..2100."""
    if not 2000 <= year <= 2100:
        raise InvalidInputError(f"budget year must be 2000..2100, got {year}")
    return year


def set_budget(
    *,
    session: Session,
    year: int,
    amount: Decimal,
    currency: str,
    department: str | None = None,
    cost_centre: str | None = None,
) -> Budget:
    """Set (create or replace) the budget of a department or a cost centre for a year."""
    department = _known_spelling(session, "department", department)
    cost_centre = _known_spelling(session, "cost_centre", cost_centre)
    if (department is None) == (cost_centre is None):
        raise InvalidInputError("give exactly one of --department or --cost-centre")
    check_year(year)
    amount = parse_amount(amount)
    currency = normalise_currency(currency)
    scope, other = ("department", "cost_centre") if department else ("cost_centre", "department")
    # One statement, not a lookup then an insert: two sets racing on one scope and year
    # would otherwise meet on the unique index, and the later one fail. The conflict
    # target names the partial unique index of this scope (``_unique_per_year``).
    dialect_insert = pg_insert if session.connection().dialect.name == "postgresql" else lite_insert
    insert = dialect_insert(Budget).values(
        department=department, cost_centre=cost_centre, year=year, amount=amount, currency=currency
    )
    upsert = insert.on_conflict_do_update(
        index_elements=[scope, "year"],
        index_where=sa.text(f"{other} IS NULL"),
        set_={"amount": insert.excluded.amount, "currency": insert.excluded.currency},
    ).returning(col(Budget.id))
    budget_id = session.execute(upsert).scalar_one()
    budget = session.get(Budget, budget_id, populate_existing=True)
    assert budget is not None
    return budget


def _known_spelling(session: Session, scope: str, name: str | None) -> str | None:
    """``name`` as people's records (or an existing budget) spell that department or cost
    centre, whatever its case and spacing; else ``name`` tidied.

    Spend is matched to a budget by the exact name, so a budget for "sales" beside the
    people of "Sales" would show no spend at all, and a second one for the same team.
    """
    clean = " ".join((name or "").split())
    if not clean:
        return None
    for model in (Person, Budget):
        column = getattr(model, scope)
        found = session.exec(
            select(column).where(sa.func.lower(column) == clean.lower()).distinct()
        ).all()
        spelled = sorted(str(f) for f in found if f and " ".join(str(f).split()) == str(f))
        if spelled:
            return spelled[0]
    return clean


def find_budget(
    *, session: Session, year: int, department: str | None = None, cost_centre: str | None = None
) -> Budget:
    """The budget of a department or cost centre (any case) for a year.

    Raises:
        NotFoundError: naming what was asked for.
    """
    scope, name = ("department", department) if department else ("cost_centre", cost_centre)
    column = getattr(Budget, scope)
    budget = session.exec(
        select(Budget).where(
            sa.func.lower(column) == " ".join((name or "").split()).lower(), Budget.year == year
        )
    ).first()
    if budget is None:
        raise NotFoundError(f"no {scope.replace('_', ' ')} budget for {name!r} in {year}")
    return budget


def remove_budget(*, session: Session, budget_id: int) -> Budget:
    """Delete a budget (its overrun finding resolves at the next analysis).

    Raises:
        NotFoundError: no budget has this id.
    """
    budget = get_row(session, Budget, budget_id, "budget")
    session.delete(budget)
    session.flush()
    return budget


@dataclass
class BudgetStatus:
    """A budget with the actual and forecast spend of its year (exact, budget currency)."""

    id: int
    scope: str
    name: str
    year: int
    budget: Decimal
    currency: str
    actual: Decimal
    forecast: Decimal

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape (money as strings rounded to the cent)."""
        return {
            "id": self.id,
            "scope": self.scope,
            "name": self.name,
            "year": self.year,
            "currency": self.currency,
            "budget": str(money(self.budget)),
            "actual": str(money(self.actual)),
            "forecast": str(money(self.forecast)),
            "remaining": str(money(self.budget - self.forecast)),
            "over_budget": self.actual > self.budget or self.forecast > self.budget,
        }


def budget_status(*, session: Session, today: date, year: int | None = None) -> list[BudgetStatus]:
    """List budgets (of one year, or all) against actual and forecast spend."""
    query = select(Budget).order_by(col(Budget.year), col(Budget.department), col(Budget.id))
    if year is not None:
        query = query.where(Budget.year == year)
    budgets = list(session.exec(query).all())
    if not budgets:
        return []
    current = month_index(today)
    last_year = max(b.year for b in budgets)
    first = min(b.year for b in budgets) * 12
    last = max(current, last_year * 12 + 11)
    contracts = load_contracts(session=session)
    actual = actual_lines(
        session=session, contracts=contracts, first=first, last=min(current, last)
    )
    horizon = min(max(last - current, 0), MAX_HORIZON)
    future = (
        forecast_lines(
            session=session,
            contracts=contracts,
            as_of=current,
            horizon=horizon,
            uplifts={},
            rate_day=today,
        )
        if horizon
        else actual.iloc[0:0]
    )
    # Today's month may not be over: an invoice due on the 29th is neither actual yet nor
    # in the forecast of the months after. Its forecast as of last month's end counts
    # for whatever of it has not arrived.
    this_month = forecast_lines(
        session=session,
        contracts=contracts,
        as_of=current - 1,
        horizon=1,
        uplifts={},
        rate_day=today,
    )
    lines = pd.concat(
        [
            actual.assign(part="actual"),
            future.assign(part="forecast"),
            this_month.assign(part="month"),
        ]
    )
    fx = FxTable.load(session=session)
    sums: dict[tuple[str, str, str, str], list[Decimal]] = {}
    for scope in SCOPES:
        for part in ("actual", "forecast", "month"):
            chosen = lines[lines["part"] == part]
            keyed = assign_keys(chosen, scope, session)
            for currency in sorted({b.currency for b in budgets}):
                # Only the spend a budget in this currency counts: its department or cost
                # centre, in its year. Converting the rest would ask for FX rates no
                # budget needs, and one missing would stop every budget's figures.
                wanted = pd.MultiIndex.from_tuples(
                    [(n, b.year) for b in budgets if b.currency == currency
                     and (n := _scope_name(b, scope)) is not None],
                    names=["key", "year"],
                )  # fmt: skip
                if wanted.empty or keyed.empty:
                    continue
                pairs = pd.MultiIndex.from_arrays(
                    [keyed["key"].astype(str), keyed["month"] // 12], names=["key", "year"]
                )
                needed = keyed[pairs.isin(wanted)]
                rows = convert(needed, fx=fx, currency=currency, first=first, last=last)
                for row in rows:
                    sums[(scope, row.key, currency, part)] = row.months
    out: list[BudgetStatus] = []
    for b in budgets:
        scope = "department" if b.department else "cost_centre"
        name = b.department or b.cost_centre or ""
        year_slice = slice(b.year * 12 - first, b.year * 12 - first + 12)
        spent = sum(sums.get((scope, name, b.currency, "actual"), [])[year_slice], Decimal(0))
        ahead = sum(sums.get((scope, name, b.currency, "forecast"), [])[year_slice], Decimal(0))
        if b.year == today.year:
            done = sums.get((scope, name, b.currency, "actual"), [])[current - first :][:1]
            due = sums.get((scope, name, b.currency, "month"), [])[current - first :][:1]
            ahead += max(Decimal(0), sum(due, Decimal(0)) - sum(done, Decimal(0)))
        assert b.id is not None
        out.append(
            BudgetStatus(
                b.id, scope, name, b.year, Decimal(b.amount), b.currency, spent, spent + ahead
            )
        )
    return out


def _scope_name(budget: Budget, scope: str) -> str | None:
    """The department or cost centre a budget is for, when it is one of ``scope``."""
    if scope == "department":
        return budget.department or None
    return None if budget.department else budget.cost_centre or None


def budget_overrun_findings(*, session: Session, today: date) -> list[Finding]:
    """Return ``budget_overrun`` findings for budgets of this year and later."""
    status = budget_status(session=session, today=today)
    frame = pd.DataFrame(
        [
            {
                "scope": s.scope,
                "name": s.name,
                "year": s.year,
                "budget": s.budget,
                "actual": s.actual,
                "forecast": s.forecast,
                "currency": s.currency,
            }
            for s in status
            if s.year >= today.year
        ],
        columns=["scope", "name", "year", "budget", "actual", "forecast", "currency"],
    )
    return find_budget_overruns(frame, today)
