"""Findings: filter, bulk acknowledge / dismiss with a reason, live savings totals, CSV."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from app.core import flash
from app.core.csrf import CsrfChecked
from app.core.db import MAX_ROW_ID
from app.core.errors import SeatwiseError
from app.core.pages import FindingsUser, FindingsWriter, render
from app.core.settings import Settings
from app.deps import Offset, SessionDep, SettingsDep, get_engine
from app.findings import review
from app.findings.bulk import review_many
from app.findings.csv_export import streamed_findings_csv
from app.findings.review import SEVERITY_ORDER, FindingFilter
from app.findings.service import STATUSES
from app.inventory.models import Product
from app.inventory.views import application_names
from app.spend.fx import total_in

router = APIRouter(tags=["pages"])
PAGE_SIZE = 50


def _filter(
    kind: str, status: str, application: str, severity: str, product: str = ""
) -> FindingFilter:
    return FindingFilter(
        kind=kind or None,
        status=status or None,
        application=application or None,
        severity=severity or None,
        product=product or None,
    )


def _query(kind: str, status: str, application: str, severity: str, product: str) -> dict[str, str]:
    """The filter as the address carries it; ``product`` only when set (e-mails link to
    it; the form offers no choice of product)."""
    query = {"kind": kind, "status": status, "application": application, "severity": severity}
    return query | ({"product": product} if product else {})


def _address_without_product(query: dict[str, str]) -> str:
    """The query string of the same filter on every product ('' when nothing is left)."""
    shown = {k: v for k, v in query.items() if v and k != "product"}
    return f"?{urlencode(shown)}" if shown else ""


def _product_name(session: SessionDep, flt: FindingFilter) -> str | None:
    """The filtered product's name (the filter was checked by the list before)."""
    if flt.product is None:
        return None
    product = session.get(Product, int(flt.product.strip()))
    return product.name if product is not None else f"product {flt.product.strip()}"


def _list_context(
    session: SessionDep,
    settings: Settings,
    flt: FindingFilter,
    offset: int,
    query: dict[str, str],
) -> dict[str, object]:
    items, total, savings = review.list_findings(
        session=session, flt=flt, limit=PAGE_SIZE, offset=offset
    )
    currency = settings.reporting_currency
    # Savings in several currencies, or in another, are also shown added up in the
    # reporting currency: the dashboard's figure, which links here, is that sum.
    in_one = None
    if set(savings) - {currency}:
        day = datetime.now(settings.tz).date()
        amounts = {code: Decimal(text) for code, text in savings.items()}
        in_one = total_in(session=session, amounts=amounts, currency=currency, day=day)
    return {
        "items": items,
        "page": {"total": total, "limit": PAGE_SIZE, "offset": offset},
        "savings": savings,
        "savings_in_one": in_one,
        "query": query,
        "page_query": urlencode(query),
    }


def _page_still_there(offset: int, total: int) -> int:
    """``offset``, or the last page's when fewer findings than that now match."""
    return offset if offset < total else max(0, (total - 1) // PAGE_SIZE * PAGE_SIZE)


@router.get("/findings", response_class=HTMLResponse)
def findings_page(
    request: Request,
    user: FindingsUser,
    session: SessionDep,
    settings: SettingsDep,
    kind: str = "",
    status: str = "",
    application: str = "",
    severity: str = "",
    product: str = "",
    offset: Offset = 0,
) -> Response:
    """Findings matching the filter, with their savings total."""
    query = _query(kind, status, application, severity, product)
    flt = _filter(kind, status, application, severity, product)
    context = _list_context(session, settings, flt, offset, query)
    context.update(
        product_name=_product_name(session, flt),
        all_products=_address_without_product(query),
        kinds=review.known_kinds(session=session),
        statuses=STATUSES,
        severities=SEVERITY_ORDER,
        applications=application_names(session=session),
        message=flash.message(request),
    )
    if request.headers.get("hx-request") and request.headers.get("hx-target") == "findings-list":
        return render(request, "findings/_list.html", user, context, headers={"Vary": "HX-Request"})
    return render(request, "findings/index.html", user, context, headers={"Vary": "HX-Request"})


@router.get("/findings.csv")
def findings_export(
    request: Request,
    user: FindingsUser,
    session: SessionDep,
    kind: str = "",
    status: str = "",
    application: str = "",
    severity: str = "",
    product: str = "",
) -> Response:
    """The filtered findings as CSV, streamed as they are read."""
    flt = _filter(kind, status, application, severity, product)
    review.check_filter(session=session, flt=flt)
    return StreamingResponse(
        streamed_findings_csv(engine=get_engine(request), flt=flt),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="findings.csv"'},
    )


@router.post("/findings/review", response_class=HTMLResponse)
def findings_review(
    request: Request,
    user: FindingsWriter,
    _csrf: CsrfChecked,
    session: SessionDep,
    settings: SettingsDep,
    action: Annotated[str, Form()],
    keys: Annotated[list[str] | None, Form()] = None,
    reason: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    status: Annotated[str, Form()] = "",
    application: Annotated[str, Form()] = "",
    severity: Annotated[str, Form()] = "",
    product: Annotated[str, Form()] = "",
    offset: Annotated[int, Form(ge=0, le=MAX_ROW_ID)] = 0,
) -> Response:
    """Acknowledge, dismiss or reopen the selected findings; answer the refreshed list.

    At the page the reviewer was on: or, when the action emptied it (dismissing every
    open finding of the last page of open ones), the page that is now the last.
    """
    query = _query(kind, status, application, severity, product)
    try:
        result = review_many(
            session=session, keys=keys or [], status=action, by=user.email, reason=reason
        )
        message = f"{len(result.changed)} finding(s) {action}."
        if result.refused:
            message += " Refused: " + "; ".join(f"{k}: {v}" for k, v in result.refused.items())
        error = None
    except SeatwiseError as exc:
        message, error = None, str(exc)
    session.flush()
    flt = _filter(kind, status, application, severity, product)
    context = _list_context(session, settings, flt, offset, query)
    page = context["page"]
    assert isinstance(page, dict)
    still = _page_still_there(offset, page["total"])
    if still != offset:  # the action emptied the last page: show the new last one
        offset = still
        context = _list_context(session, settings, flt, offset, query)
    shown = {k: v for k, v in query.items() if v} | ({"offset": str(offset)} if offset else {})
    here = "/findings" + (f"?{urlencode(shown)}" if shown else "")
    if not request.headers.get("hx-request"):
        note = flash.signed_query(request, [("message", message or error or "")])
        return RedirectResponse(f"{here}{'&' if shown else '?'}{note}", status_code=303)
    context.update(message=message, error=error)
    # The address bar follows the page shown (it may have stepped back to the last one).
    return render(request, "findings/_list.html", user, context, headers={"HX-Push-Url": here})
