"""Applications: the searchable, sortable table and each application's page."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from app.core import charts
from app.core.csrf import CsrfChecked
from app.core.errors import InvalidInputError, problem_text
from app.core.pages import ApplicationsUser, ApplicationsWriter, render, today
from app.deps import Offset, RowId, SessionDep, SettingsDep
from app.findings import review
from app.findings.review import FindingFilter
from app.inventory import detail_views, views
from app.inventory.app_edit import ApplicationUpdate, get_application, update_application
from app.inventory.seat_counts import cache_of

router = APIRouter(tags=["pages"])
PAGE_SIZE = 50


@router.get("/applications", response_class=HTMLResponse)
def applications(
    request: Request,
    user: ApplicationsUser,
    session: SessionDep,
    settings: SettingsDep,
    q: str = "",
    category: str = "",
    sort: str = "app",
    offset: Offset = 0,
) -> Response:
    """Every application with seats, cost and next renewal."""
    page = views.application_rows(
        cache=cache_of(request.app.state),
        session=session,
        currency=settings.reporting_currency,
        today=today(),
        search=q,
        category=category,
        sort=sort,
        limit=PAGE_SIZE,
        offset=offset,
    )
    context = {
        "page": page,
        "q": q,
        "category": category,
        "sort": sort,
        "categories": views.categories(session=session),
        "currency": settings.reporting_currency,
        "filter_query": urlencode({"q": q, "category": category}),
        "page_query": urlencode({"q": q, "category": category, "sort": sort}),
    }
    template = "inventory/_apps_table.html" if request.headers.get("hx-request") else None
    return render(
        request,
        template or "inventory/applications.html",
        user,
        context,
        headers={"Vary": "HX-Request"},
    )


def _detail_context(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    application_id: int,
    show: str,
    offset: int,
) -> dict[str, Any]:
    day = today()
    currency = settings.reporting_currency
    cache = cache_of(request.app.state)
    summary = views.application_summary(
        session=session, application_id=application_id, currency=currency, today=day, cache=cache
    )
    show = show if show in detail_views.HOLDER_FILTERS else "all"
    holders = detail_views.holders_of(
        session=session,
        application_id=application_id,
        today=day,
        show=show,
        limit=PAGE_SIZE,
        offset=offset,
        cache=cache,
    )
    history = detail_views.seat_history(
        session=session, application_id=application_id, today=day, cache=cache
    )
    findings, findings_total, savings = review.list_findings(
        session=session, flt=FindingFilter(application=str(application_id)), limit=20
    )
    overlaps = [f for f in findings if f.kind in ("overlap", "suite_overlap")]
    # Monthly activity comes only from usage reports; a line at zero for an application
    # whose sources send none (Microsoft 365 here) would contradict the "active" figures,
    # which come from sign-in times. So that line is drawn only when there is usage.
    series = {"Seats assigned": history["assigned"]}
    if any(history["active"]):
        series["Accounts active"] = history["active"]
    chart = charts.lines(history["months"], series, y_title="Seats")
    return {
        "app": summary,
        "currency": currency,
        "products": detail_views.products_of(
            session=session, application_id=application_id, today=day, cache=cache
        ),
        "contracts": detail_views.contracts_of(session=session, application_id=application_id),
        "history_chart": chart,
        "has_history": any(history["assigned"]) or any(history["active"]),
        "has_usage": any(history["active"]),
        "holders": holders,
        "show": show,
        "filters": detail_views.HOLDER_FILTERS,
        "holder_query": urlencode({"show": show}),
        "findings": findings,
        "findings_total": findings_total,
        "savings": savings,
        "overlaps": overlaps,
        "today": day,
        "categories": views.categories(session=session),
        "saved": request.query_params.get("saved") == "1",
        "error": None,
    }


@router.get("/applications/{application_id}", response_class=HTMLResponse)
def application_detail(
    request: Request,
    application_id: RowId,
    user: ApplicationsUser,
    session: SessionDep,
    settings: SettingsDep,
    show: str = "all",
    offset: Offset = 0,
) -> Response:
    """One application: SKUs, contracts, seat history, holders, findings, overlaps."""
    context = _detail_context(request, session, settings, application_id, show, offset)
    return render(request, "inventory/application.html", user, context)


@router.post("/applications/{application_id}", response_class=HTMLResponse)
def edit_application(
    request: Request,
    application_id: RowId,
    user: ApplicationsWriter,
    _csrf: CsrfChecked,
    session: SessionDep,
    settings: SettingsDep,
    owner_email: Annotated[str, Form()] = "",
    category: Annotated[str, Form()] = "",
) -> Response:
    """Save the owner and category; a problem comes back on the page (422)."""
    app = get_application(session=session, application_id=application_id)
    try:
        changes = ApplicationUpdate(owner_email=owner_email, category=category)
        update_application(session=session, application=app, changes=changes, actor=user.email)
    except (ValidationError, InvalidInputError) as exc:
        error = problem_text(exc)
        session.rollback()
        context = _detail_context(request, session, settings, application_id, "all", 0)
        context.update(error=error, owner_value=owner_email, category_value=category)
        return render(request, "inventory/application.html", user, context, status_code=422)
    return RedirectResponse(f"/applications/{application_id}?saved=1", status_code=303)
