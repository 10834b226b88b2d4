"""Spend: the spend report with grouping and period pickers, charts, budgets, downloads."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from analytics.spend import FIRST_YEAR, LAST_YEAR, month_index, month_label, parse_month
from app.core import charts
from app.core.errors import SeatwiseError
from app.core.pages import SpendUser, render, today
from app.deps import SessionDep, SettingsDep
from app.spend import service
from app.spend.allocation import GROUPINGS
from app.spend.budgets import budget_status

router = APIRouter(tags=["pages"])
CHART_SERIES = 8
_MONTH_SHAPE = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


@dataclass(frozen=True)
class _Period:
    """The form's period: the months it names, or what is wrong with it (in UI words)."""

    first: int
    last: int
    error: str | None = None
    bad: tuple[str, ...] = ()  # the fields to mark invalid: "from", "to"


def _read_month(text: str, label: str, fallback: int) -> tuple[int, str | None]:
    """Return a form field's month (``fallback`` when blank), or what is wrong with it."""
    if not text.strip():
        return fallback, None
    try:
        return parse_month(text), None
    except ValueError:
        pass
    if _MONTH_SHAPE.fullmatch(text.strip()):
        return fallback, (
            f"{label} month {text.strip()} is outside the years reports cover "
            f"({FIRST_YEAR} to {LAST_YEAR})"
        )
    return fallback, f"{label} month {text.strip()} is not a month (YYYY-MM)"


def _period(from_text: str, to_text: str, this_month: int) -> _Period:
    """Read the period form: blank To is this month, blank From the 11 months before To.

    The words are the form's ("From", "To"), not the CLI's ``--from``/``--to`` that the
    service's own check uses.
    """
    last, to_error = _read_month(to_text, "To", this_month)
    first, from_error = _read_month(from_text, "From", last - 11)
    if from_error or to_error:
        bad = tuple(name for name, e in (("from", from_error), ("to", to_error)) if e)
        return _Period(first, last, "; ".join(e for e in (from_error, to_error) if e), bad)
    if first > last:
        problem = f"From {month_label(first)} is after To {month_label(last)}"
        return _Period(first, last, problem, ("from", "to"))
    if last - first + 1 > service.MAX_MONTHS:
        problem = (
            f"From {month_label(first)} to {month_label(last)} is {last - first + 1} months; "
            f"a report covers at most {service.MAX_MONTHS}"
        )
        return _Period(first, last, problem, ("from", "to"))
    return _Period(first, last)


@router.get("/spend", response_class=HTMLResponse)
def spend_page(
    request: Request,
    user: SpendUser,
    session: SessionDep,
    settings: SettingsDep,
    by: str = "app",
    from_: Annotated[str, Query(alias="from")] = "",
    to: str = "",
    key: str = "",
) -> Response:
    """Spend by a grouping over a period, budget against actual and forecast.

    A bad period answers 422 with the problem on the page, the user's input kept in the
    form and no download links (they would only fail the same way).
    """
    day = today()
    period = _period(from_, to, month_index(day))
    by = by if by in GROUPINGS else "app"
    currency = settings.reporting_currency
    error = period.error
    report = None
    if error is None:
        try:
            (report,) = service.spend_reports(
                session=session, by=[by], first=period.first, last=period.last, currency=currency
            )
        except SeatwiseError as exc:
            error = str(exc)
    chart = trend = None
    if report is not None and report.rows:
        top = sorted(report.rows, key=lambda r: -r.total)[:CHART_SERIES]
        chart = charts.bar([r.key for r in top], [r.total for r in top], y_title=currency)
        trend = charts.lines(report.months, {"Total": report.totals}, y_title=currency)
    try:
        budgets = [b.to_dict() for b in budget_status(session=session, today=day)]
    except SeatwiseError as exc:
        budgets, error = [], error or str(exc)
    query = {"by": by, "from": month_label(period.first), "to": month_label(period.last)}
    context = {
        "report": report,
        "error": error,
        "by": by,
        "groupings": GROUPINGS,
        # What the user asked is kept, as typed, when it is what is wrong.
        "first": from_.strip() if "from" in period.bad else month_label(period.first),
        "last": to.strip() if "to" in period.bad else month_label(period.last),
        "bad": period.bad,
        "key": key,
        "chart": chart,
        "trend": trend,
        "budgets": budgets,
        "currency": currency,
        "xlsx": None,
        "csv": None,
    }
    if report is not None:
        context["xlsx"] = "/api/v1/reports/spend?" + urlencode({**query, "format": "xlsx"})
        context["csv"] = "/api/v1/reports/spend?" + urlencode({**query, "format": "csv"})
    status = 422 if period.error else 200
    return render(request, "spend/index.html", user, context, status_code=status)
