"""Spend: the spend report with grouping and period pickers, charts, budgets, downloads."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from analytics.spend import month_index, month_label, parse_month
from app.core import charts
from app.core.errors import SeatwiseError
from app.core.pages import SpendUser, render, today
from app.deps import SessionDep, SettingsDep
from app.spend import service
from app.spend.allocation import GROUPINGS
from app.spend.budgets import budget_status

router = APIRouter(tags=["pages"])
CHART_SERIES = 8


def _month_or(text: str, fallback: int) -> int:
    try:
        return parse_month(text) if text else fallback
    except ValueError:
        return fallback


@router.get("/spend", response_class=HTMLResponse)
def spend_page(
    request: Request,
    user: SpendUser,
    session: SessionDep,
    settings: SettingsDep,
    by: str = "app",
    from_: str = "",
    to: str = "",
    key: str = "",
) -> Response:
    """Spend by a grouping over a period, budget against actual and forecast."""
    day = today()
    last = _month_or(to or request.query_params.get("to", ""), month_index(day))
    first = _month_or(request.query_params.get("from", ""), last - 11)
    by = by if by in GROUPINGS else "app"
    currency = settings.reporting_currency
    error = None
    report = None
    try:
        (report,) = service.spend_reports(
            session=session, by=[by], first=first, last=last, currency=currency
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
    query = {"by": by, "from": month_label(first), "to": month_label(last)}
    context = {
        "report": report,
        "error": error,
        "by": by,
        "groupings": GROUPINGS,
        "first": month_label(first),
        "last": month_label(last),
        "key": key,
        "chart": chart,
        "trend": trend,
        "budgets": budgets,
        "currency": currency,
        "xlsx": "/api/v1/reports/spend?" + urlencode({**query, "format": "xlsx"}),
        "csv": "/api/v1/reports/spend?" + urlencode({**query, "format": "csv"}),
    }
    return render(request, "spend/index.html", user, context)
