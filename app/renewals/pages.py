"""Renewals: a month calendar and a list of renewal dates and notice deadlines."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from analytics.spend import FIRST_YEAR, LAST_YEAR
from app.core.csrf import CsrfChecked
from app.core.db import get_row
from app.core.pages import RenewalsUser, RenewalsWriter, render, today
from app.deps import RowId, SessionDep
from app.inventory.models import Subscription
from app.renewals.service import DECISIONS, STATES, renewal_rows, set_state

router = APIRouter(tags=["pages"])


def _month(text: str, fallback: date) -> date:
    try:
        year, month = (int(p) for p in text.split("-"))
        if not FIRST_YEAR <= year <= LAST_YEAR:  # the calendar's neighbours must exist
            raise ValueError(year)
        return date(year, month, 1)
    except ValueError:
        return fallback.replace(day=1)


def _calendar(first: date, events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    by_day: dict[date, list[dict[str, Any]]] = {}
    for e in events:
        by_day.setdefault(e["day"], []).append(e)
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    return [
        [{"day": d, "other": d.month != first.month, "events": by_day.get(d, [])} for d in week]
        for week in weeks
    ]


@router.get("/renewals", response_class=HTMLResponse)
def renewals_page(
    request: Request,
    user: RenewalsUser,
    session: SessionDep,
    month: str = "",
) -> Response:
    """Upcoming renewals with each contract's seats, cost per active user and state."""
    day = today()
    rows = renewal_rows(session=session, as_of=day)
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
    prev_month = (first.replace(day=1) - date.resolution).replace(day=1)
    next_month = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    context = {
        "rows": rows,
        "weeks": _calendar(first, events),
        "month": first,
        "prev": prev_month.strftime("%Y-%m"),
        "next": next_month.strftime("%Y-%m"),
        "states": STATES,
        "decisions": DECISIONS,
        "message": request.query_params.get("message"),
    }
    return render(request, "renewals/index.html", user, context)


@router.get("/renewals/{subscription_id}")
def renewal_link(subscription_id: RowId, user: RenewalsUser, session: SessionDep) -> Response:
    """Where a renewal alert's link lands: the renewals page at that contract's month and row."""
    contract = get_row(session, Subscription, subscription_id, "contract")
    month = (contract.renewal_date or today()).strftime("%Y-%m")
    return RedirectResponse(f"/renewals?month={month}#renewal-{subscription_id}", status_code=303)


@router.post("/renewals/{contract_number}")
def update_renewal(
    contract_number: str,
    user: RenewalsWriter,
    _csrf: CsrfChecked,
    session: SessionDep,
    vendor: Annotated[str, Form()] = "",
    state: Annotated[str, Form()] = "",
    decision: Annotated[str, Form()] = "",
    owner_email: Annotated[str, Form()] = "",
) -> Response:
    """Record the negotiation state, decision or owner of one renewal."""
    set_state(
        session=session,
        contract_number=contract_number,
        vendor=vendor or None,
        as_of=today(),
        actor=user.email,
        state=state or None,
        decision=decision or None,
        owner_email=owner_email or None,
    )
    return RedirectResponse(f"/renewals?message=Saved+{contract_number}", status_code=303)
