"""The landing page: spend, savings, seats, renewals ahead, with charts."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.core import charts
from app.core.pages import DashboardUser, render, today
from app.dashboard.views import build_dashboard
from app.deps import SessionDep, SettingsDep
from app.inventory.seat_counts import cache_of

router = APIRouter(tags=["pages"])


@router.get("/", response_class=HTMLResponse)
def dashboard(
    request: Request, user: DashboardUser, session: SessionDep, settings: SettingsDep
) -> Response:
    """The dashboard."""
    data = build_dashboard(
        session=session,
        currency=settings.reporting_currency,
        today=today(),
        cache=cache_of(request.app.state),
    )
    by_category = charts.bar(
        [c for c, _ in data.spend_by_category],
        [v for _, v in data.spend_by_category],
        y_title=data.currency,
        links={c: f"/spend?by=category&key={quote(c)}" for c, _ in data.spend_by_category},
    )
    trend = charts.lines(
        [m for m, _ in data.monthly_trend],
        {"Spend": [v for _, v in data.monthly_trend]},
        y_title=data.currency,
    )
    return render(
        request,
        "dashboard/index.html",
        user,
        {"d": data, "category_chart": by_category, "trend_chart": trend},
    )
