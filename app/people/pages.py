"""People: accounts across sources, licences, monthly cost; leavers highlighted."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.core.pages import PeopleUser, render
from app.deps import Offset, RowId, SessionDep, SettingsDep
from app.people import views

router = APIRouter(tags=["pages"])
PAGE_SIZE = 50


@router.get("/people", response_class=HTMLResponse)
def people_page(
    request: Request,
    user: PeopleUser,
    session: SessionDep,
    settings: SettingsDep,
    q: str = "",
    status: str = "",
    sort: str = "email",
    offset: Offset = 0,
) -> Response:
    """Everyone known, leavers first when filtered."""
    currency = settings.reporting_currency
    page = views.people_rows(
        session=session, currency=currency, today=datetime.now(settings.tz).date(), search=q,
        status=status, sort=sort, limit=PAGE_SIZE, offset=offset,
    )  # fmt: skip
    context = {
        "page": page,
        "currency": currency,
        "q": q,
        "status": status,
        "sort": sort,
        "filter_query": urlencode({"q": q, "status": status}),
        "page_query": urlencode({"q": q, "status": status, "sort": sort}),
    }
    return render(request, "people/index.html", user, context)


@router.get("/people/{person_id}", response_class=HTMLResponse)
def person_page(
    request: Request, person_id: RowId, user: PeopleUser, session: SessionDep
) -> Response:
    """One person's accounts and licences."""
    return render(
        request,
        "people/person.html",
        user,
        views.person_detail(session=session, person_id=person_id),
    )
