"""Renewals: a month calendar and a list of renewal dates and notice deadlines."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from analytics.spend import FIRST_YEAR, LAST_YEAR
from app.core import flash
from app.core.csrf import CsrfChecked
from app.core.db import get_row
from app.core.errors import SeatwiseError, retry_after
from app.core.pages import PostedForm, RenewalsUser, RenewalsWriter, render, today
from app.deps import RowId, SessionDep
from app.inventory.models import Subscription
from app.renewals.service import (
    DECIDED,
    DECISIONS,
    NEEDS_DECISION,
    STATES,
    RenewalInputError,
    RenewalRow,
    renewal_rows,
    set_state,
)

router = APIRouter(tags=["pages"])


def _month(text: str, fallback: date) -> date:
    try:
        year, month = (int(p) for p in text.split("-"))
        if not FIRST_YEAR <= year <= LAST_YEAR:  # the calendar's neighbours must exist
            raise ValueError(year)
        return date(year, month, 1)
    except ValueError:
        return fallback.replace(day=1)


WITHIN_CHOICES = (7, 14, 30, 60, 90, 180, 365)
"""The filter's offered windows; any other whole number of days in the address works too."""
MAX_WITHIN_DAYS = 3660


def _within(text: str) -> int | None:
    """The days-ahead filter from the address: a whole number of days, else no filter."""
    text = text.strip()
    if text.isascii() and text.isdigit() and 0 < int(text) <= MAX_WITHIN_DAYS:
        return int(text)
    return None


def _calendar(first: date, events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    by_day: dict[date, list[dict[str, Any]]] = {}
    for e in events:
        by_day.setdefault(e["day"], []).append(e)
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    return [
        [{"day": d, "other": d.month != first.month, "events": by_day.get(d, [])} for d in week]
        for week in weeks
    ]


def _page_context(
    request: Request, session: SessionDep, month: str, within: int | None
) -> dict[str, Any]:
    day = today()
    rows = renewal_rows(session=session, as_of=day, within_days=within)
    first = _month(month, day)
    events = []
    for row in rows:
        v = row.view
        events.append(
            {"day": v.renewal_date, "label": f"Renews: {v.application}", "kind": "renewal"}
        )
        if v.notice_deadline:
            events.append(
                {"day": v.notice_deadline, "label": f"Notice: {v.application}", "kind": "notice"}
            )
    keep = {"within": within} if within else {}
    prev_month = (first.replace(day=1) - date.resolution).replace(day=1)
    next_month = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return {
        "rows": rows,
        "weeks": _calendar(first, events),
        "month": first,
        "prev": urlencode({"month": prev_month.strftime("%Y-%m"), **keep}),
        "next": urlencode({"month": next_month.strftime("%Y-%m"), **keep}),
        "states": STATES,
        "decisions": DECISIONS,
        "message": flash.message(request),
        "edit": None,
        "within": within,
        "within_choices": sorted({*WITHIN_CHOICES, *([within] if within else [])}),
    }


@router.get("/renewals", response_class=HTMLResponse)
def renewals_page(
    request: Request,
    user: RenewalsUser,
    session: SessionDep,
    month: str = "",
    within: str = "",
) -> Response:
    """Upcoming renewals with each contract's seats, cost per active user and state;
    ``within=N`` keeps those renewing, or whose notice deadline falls, in the next N days
    (the dashboard's count links here with its 90)."""
    context = _page_context(request, session, month, _within(within))
    return render(request, "renewals/index.html", user, context)


@router.get("/renewals/{subscription_id}")
def renewal_link(subscription_id: RowId, user: RenewalsUser, session: SessionDep) -> Response:
    """Where a renewal alert's link lands: the renewals page at that contract's month and row.

    The address is relative (``../renewals?…`` from ``…/renewals/<id>``), so the browser
    keeps whatever path prefix it reached Seatwise under (``SEATWISE_BASE_URL``
    ``https://host/app``): whether the proxy passes the prefix on as the ASGI
    ``root_path`` (uvicorn ``--root-path``) or strips it without saying, the link from
    the e-mail lands on ``/app/renewals``, not on ``/renewals`` outside the app.
    """
    contract = get_row(session, Subscription, subscription_id, "contract")
    month = (contract.renewal_date or today()).strftime("%Y-%m")
    query = urlencode({"month": month})
    return RedirectResponse(f"../renewals?{query}#renewal-{subscription_id}", status_code=303)


def _row_of(rows: list[RenewalRow], contract_number: str, vendor: str) -> RenewalRow | None:
    matches = [
        r
        for r in rows
        if r.view.contract_number == contract_number and (not vendor or r.view.vendor == vendor)
    ]
    return matches[0] if len(matches) == 1 else None


@router.post("/renewals/{contract_number}", response_class=HTMLResponse)
def update_renewal(
    request: Request,
    contract_number: str,
    user: RenewalsWriter,
    _csrf: CsrfChecked,
    session: SessionDep,
    form: PostedForm,
) -> Response:
    """Record the negotiation state, decision and owner of one renewal, then go back to its
    row in the month and filter the user was looking at; a problem comes back on that row
    (422).

    The row's form sends every field: a blank owner clears it (as ``--owner ""`` and the
    API's ``""`` do), and state decided with "no decision" is refused rather than keeping
    a decision the user just took away.
    """
    fields = ("vendor", "state", "decision", "month", "within")
    posted = {k: str(form.get(k) or "").strip() for k in fields}
    within = _within(posted["within"])
    owner = form.get("owner_email")
    owner_email = None if owner is None else str(owner)
    try:
        if posted["state"] == DECIDED and not posted["decision"]:
            raise RenewalInputError(NEEDS_DECISION, field="decision")
        view = set_state(
            session=session,
            contract_number=contract_number,
            vendor=posted["vendor"] or None,
            as_of=today(),
            actor=user.email,
            state=posted["state"] or None,
            decision=posted["decision"] or None,
            owner_email=owner_email,
        )
    except SeatwiseError as exc:
        session.rollback()
        context = _page_context(request, session, posted["month"], within)
        row = _row_of(context["rows"], contract_number, posted["vendor"])
        context["edit"] = {
            "contract_number": contract_number,
            "subscription_id": row.view.subscription_id if row else None,
            "field": getattr(exc, "field", None),
            "error": str(exc),
            "state": posted["state"],
            "decision": posted["decision"],
            "owner_email": owner_email or "",
        }
        page = render(request, "renewals/index.html", user, context, status_code=exc.status_code)
        retry_after(page.headers, exc.status_code)
        return page
    month = _month(posted["month"], view.renewal_date).strftime("%Y-%m")
    kept = {"within": within} if within else {}
    saved = flash.signed_query(request, [("message", f"Saved {view.contract_number}.")])
    query = f"{urlencode({'month': month, **kept})}&{saved}"
    return RedirectResponse(f"/renewals?{query}#renewal-{view.subscription_id}", status_code=303)
