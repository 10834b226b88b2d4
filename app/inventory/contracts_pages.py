"""Contracts: list, detail, edit, upload (row errors shown on the page), templates."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import col, func, select

from app.core import flash
from app.core.csrf import CsrfChecked
from app.core.db import retrying_deadlocks
from app.core.errors import SeatwiseError, problem_text, retry_after
from app.core.pages import ContractsUser, ContractsWriter, PostedForm, render
from app.deps import Offset, RowId, SessionDep
from app.inventory import contracts as service
from app.inventory.contract_edit import (
    BILLING_CYCLES,
    ContractUpdate,
    get_contract,
    update_contract,
)
from app.inventory.contract_rows import parse_contracts
from app.inventory.import_files import ImportRefused
from app.inventory.import_upload import Uploaded
from app.inventory.models import Application, Subscription, Vendor

router = APIRouter(tags=["pages"])
PAGE_SIZE = 50
SHOWN_WARNINGS = 20  # an import's warnings carried to the page (the URL stays short)
EDITABLE = (
    "end_date",
    "renewal_date",
    "notice_days",
    "billing_cycle",
    "seats",
    "unit_price",
    "total_cost",
    "cost_centre",
    "owner_email",
    "notes",
)


def _list_context(session: SessionDep, offset: int) -> dict[str, Any]:
    items, total = service.list_subscriptions(session=session, limit=PAGE_SIZE, offset=offset)
    ids = service_ids(session, offset)
    return {
        "items": list(zip(items, ids, strict=False)),
        "page": {"total": total, "limit": PAGE_SIZE, "offset": offset},
    }


def service_ids(session: SessionDep, offset: int) -> list[int]:
    """Contract ids in the listing's order (the listed shape carries no id)."""
    rows = session.exec(
        select(Subscription.id)
        .join(Vendor, col(Vendor.id) == Subscription.vendor_id)
        .order_by(
            col(Subscription.renewal_date).is_(None),
            col(Subscription.renewal_date),
            func.lower(Vendor.name),
            col(Subscription.contract_number),
        )
        .offset(offset)
        .limit(PAGE_SIZE)
    ).all()
    return [int(r) for r in rows if r is not None]


@router.get("/contracts", response_class=HTMLResponse)
def contracts_page(
    request: Request,
    user: ContractsUser,
    session: SessionDep,
    offset: Offset = 0,
) -> Response:
    """Every contract by renewal date."""
    context = _list_context(session, offset)
    told = flash.shown(request, "message", "warning") or {}
    context["message"] = next(iter(told.get("message", [])), None)
    context["warnings"] = told.get("warning", [])
    return render(request, "contracts/index.html", user, context)


@router.post("/contracts/upload", response_class=HTMLResponse)
def upload_contracts(
    request: Request,
    user: ContractsWriter,
    _csrf: CsrfChecked,
    session: SessionDep,
    upload: Uploaded,
    decimal_comma: Annotated[bool, Form()] = False,
) -> Response:
    """Import a contracts file; a refused file lists every row problem on the page."""
    context: dict[str, Any]
    try:
        data = upload.checked()
        result = retrying_deadlocks(
            session,
            lambda: service.import_contracts(
                session=session, rows=parse_contracts(data, decimal_comma=decimal_comma)
            ),
        )
    except ImportRefused as exc:
        session.rollback()
        context = {
            **_list_context(session, 0),
            "refused": exc.summary,
            "problems": exc.problems,
            "filename": upload.filename,
        }
        return render(request, "contracts/index.html", user, context, status_code=422)
    except SeatwiseError as exc:
        session.rollback()  # the import may have left the transaction failed (a lock timeout)
        context = {
            **_list_context(session, 0),
            "refused": str(exc),
            "problems": [],
            "filename": upload.filename,
        }
        page = render(request, "contracts/index.html", user, context, status_code=exc.status_code)
        retry_after(page.headers, exc.status_code)
        return page
    summary = ", ".join(
        f"{k.replace('_', ' ')}: {v}"
        for k, v in result.as_dict().items()
        if not isinstance(v, list | dict)
    )
    warnings = result.warnings[:SHOWN_WARNINGS]
    if len(result.warnings) > SHOWN_WARNINGS:
        more = len(result.warnings) - SHOWN_WARNINGS
        warnings.append(f"… and {more} more")
    query = flash.signed_query(
        request,
        [("message", f"Imported {upload.filename or 'the file'} ({summary})")]
        + [("warning", w) for w in warnings],
    )
    return RedirectResponse(f"/contracts?{query}", 303)


def _detail(session: SessionDep, contract_id: int) -> dict[str, Any]:
    sub = get_contract(session=session, contract_id=contract_id)
    return {
        "c": sub,
        "vendor": session.get(Vendor, sub.vendor_id),
        "application": session.get(Application, sub.application_id),
        "cycles": BILLING_CYCLES,
    }


@router.get("/contracts/{contract_id}", response_class=HTMLResponse)
def contract_page(
    request: Request, contract_id: RowId, user: ContractsUser, session: SessionDep
) -> Response:
    """One contract, with the edit form for those who may edit."""
    context = {
        **_detail(session, contract_id),
        "error": None,
        "saved": request.query_params.get("saved") == "1",
    }
    return render(request, "contracts/detail.html", user, context)


@router.post("/contracts/{contract_id}", response_class=HTMLResponse)
def edit_contract(
    request: Request,
    contract_id: RowId,
    user: ContractsWriter,
    _csrf: CsrfChecked,
    session: SessionDep,
    form: PostedForm,
) -> Response:
    """Save the edit form; problems come back on the form."""
    values: dict[str, Any] = {k: (str(form.get(k) or "").strip() or None) for k in EDITABLE}
    values["auto_renew"] = form.get("auto_renew") is not None
    try:
        changes = ContractUpdate.model_validate(values)
        update_contract(session=session, contract_id=contract_id, changes=changes, actor=user.email)
    except (ValidationError, SeatwiseError) as exc:
        error = problem_text(exc)
        session.rollback()
        context = {**_detail(session, contract_id), "error": error, "saved": False}
        return render(request, "contracts/detail.html", user, context, status_code=422)
    return RedirectResponse(f"/contracts/{contract_id}?saved=1", status_code=303)
