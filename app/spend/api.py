"""REST: spend, forecast and savings reports, budgets, FX rates (finance and admin)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from analytics.spend import parse_month
from app.core.errors import InvalidInputError
from app.deps import FinanceUser, Offset, RowId, SessionDep, SettingsDep
from app.spend import budgets as budget_service
from app.spend import export, fx, service
from app.spend import forecast_service as forecasting
from app.spend.schemas import BudgetPage, BudgetRead, BudgetSet, FxRatePage, FxRateRead, FxRateSet

router = APIRouter(prefix="/api/v1", tags=["spend"])

_ACCEPT = {
    "text/csv": "csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/json": "json",
}


def _format(request: Request, fmt: str | None) -> str:
    if fmt:
        return export.check_format(fmt)
    accept = request.headers.get("accept", "")
    for media, name in _ACCEPT.items():
        if media in accept:
            return name
    return "json"


def _month(value: str, name: str) -> int:
    try:
        return parse_month(value)
    except ValueError as exc:
        raise InvalidInputError(f"{name}: {exc}") from None


def _today(settings: Any) -> date:
    return datetime.now(settings.tz).date()


def _respond(reports: list[service.SpendReport], fmt: str, notes: list[str]) -> Response:
    if fmt == "json":
        return JSONResponse(export.reports_json(reports))
    r = reports[0]
    name = f"{r.kind}-{'-'.join(x.by for x in reports)}-{r.months[0]}-{r.months[-1]}.{fmt}"
    return Response(
        export.render(reports, fmt, notes),
        media_type=export.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/reports/spend")
def spend_report(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: FinanceUser,
    by: Annotated[list[str], Query()] = ["app"],  # noqa: B006
    from_: Annotated[str | None, Query(alias="from")] = None,
    to: Annotated[str | None, Query()] = None,
    format: Annotated[str | None, Query()] = None,
    currency: Annotated[str | None, Query()] = None,
) -> Response:
    """Spend by a grouping and month; JSON, or a CSV/XLSX file by ``format`` or ``Accept``."""
    fmt = _format(request, format)
    year = _today(settings).year
    first = _month(from_, "from") if from_ else year * 12
    last = _month(to, "to") if to else year * 12 + 11
    groupings = service.check_groupings(by)
    if fmt == "csv" and len(groupings) > 1:
        raise InvalidInputError("a CSV holds one table: ask for one grouping, or use xlsx")
    reports = service.spend_reports(
        session=session,
        by=groupings,
        first=first,
        last=last,
        currency=currency or settings.reporting_currency,
    )
    return _respond(reports, fmt, [])


@router.get("/reports/forecast")
def forecast_report(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: FinanceUser,
    by: Annotated[list[str], Query()] = ["app"],  # noqa: B006
    months: Annotated[int, Query(ge=1, le=forecasting.MAX_HORIZON)] = 12,
    holdout: Annotated[int, Query(ge=0, le=24)] = 3,
    format: Annotated[str | None, Query()] = None,
    currency: Annotated[str | None, Query()] = None,
    uplift: Annotated[
        list[str],
        Query(description="CONTRACT=PCT renewal uplift, e.g. C-42=5 (or *=3); repeatable."),
    ] = [],  # noqa: B006
) -> Response:
    """Forecast of the next months by a grouping, with the back-test (WAPE)."""
    fmt = _format(request, format)
    groupings = service.check_groupings(by)
    if fmt == "csv" and len(groupings) > 1:
        raise InvalidInputError("a CSV holds one table: ask for one grouping, or use xlsx")
    reports, test = forecasting.forecast_reports(
        session=session,
        by=groupings,
        currency=currency or settings.reporting_currency,
        today=_today(settings),
        horizon=months,
        uplifts=forecasting.parse_uplifts(uplift),
        holdout=holdout,
    )
    return _respond(reports, fmt, [test.summary()])


@router.get("/reports/savings")
def savings_report(session: SessionDep, settings: SettingsDep, user: FinanceUser) -> dict[str, Any]:
    """Monthly savings of open findings by kind and application."""
    currency = settings.reporting_currency
    rows = service.savings_report(session=session, currency=currency, today=_today(settings))
    return {"currency": currency, "rows": [r.to_dict() for r in rows]}


@router.get("/budgets")
def list_budgets(
    session: SessionDep,
    settings: SettingsDep,
    user: FinanceUser,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> BudgetPage:
    """Budgets against actual and forecast spend."""
    rows = budget_service.budget_status(session=session, today=_today(settings), year=year)
    items = [BudgetRead(**r.to_dict()) for r in rows[offset : offset + limit]]
    return BudgetPage(items=items, total=len(rows), limit=limit, offset=offset)


@router.put("/budgets")
def put_budget(
    body: BudgetSet, session: SessionDep, settings: SettingsDep, user: FinanceUser
) -> BudgetRead:
    """Set the yearly budget of a department or a cost centre."""
    budget = budget_service.set_budget(
        session=session,
        year=body.year,
        amount=body.amount,
        currency=body.currency,
        department=body.department,
        cost_centre=body.cost_centre,
    )
    rows = budget_service.budget_status(session=session, today=_today(settings), year=body.year)
    return BudgetRead(**next(r for r in rows if r.id == budget.id).to_dict())


@router.delete("/budgets/{budget_id}", status_code=204)
def delete_budget(budget_id: RowId, session: SessionDep, user: FinanceUser) -> Response:
    """Remove a budget."""
    budget_service.remove_budget(session=session, budget_id=budget_id)
    return Response(status_code=204)


@router.get("/fx-rates")
def list_fx_rates(
    session: SessionDep,
    user: FinanceUser,
    base: str | None = None,
    quote: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> FxRatePage:
    """Stored FX rates, newest first."""
    rows = fx.list_rates(session=session, base=base, quote=quote)
    items = [
        FxRateRead(base=r.base, quote=r.quote, day=r.day, rate=r.rate)
        for r in rows[offset : offset + limit]
    ]
    return FxRatePage(items=items, total=len(rows), limit=limit, offset=offset)


@router.put("/fx-rates")
def put_fx_rate(body: FxRateSet, session: SessionDep, user: FinanceUser) -> FxRateRead:
    """Store ``1 base = rate quote`` on ``day``."""
    row = fx.set_rate(
        session=session, base=body.base, quote=body.quote, day=body.day, rate=body.rate
    )
    return FxRateRead(base=row.base, quote=row.quote, day=row.day, rate=row.rate)
