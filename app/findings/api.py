"""REST: list and review findings, run an analysis."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Body, Query

from app.auth.models import User
from app.deps import AssetManagerUser, Offset, SessionDep, SettingsDep, area_user, one_of
from app.findings import review
from app.findings.review import SEVERITY_ORDER, FindingFilter
from app.findings.schemas import (
    AnalysisRead,
    AnalyzeRequest,
    FindingPage,
    FindingRead,
    FindingUpdate,
)
from app.findings.service import STATUSES, analyze

router = APIRouter(prefix="/api/v1", tags=["findings"])
FindingsReader = Annotated[User, area_user("findings")]


@router.get("/findings", response_model=FindingPage)
def list_findings(
    session: SessionDep,
    user: FindingsReader,
    kind: Annotated[
        str | None, Query(description="Only this kind (an unknown one is refused, naming them)")
    ] = None,
    status: Annotated[
        str | None, one_of(STATUSES, "Only this status (default: all but resolved)")
    ] = None,
    application: Annotated[
        str | None, Query(description="Application name (any case) or id; 404 if none")
    ] = None,
    severity: Annotated[str | None, one_of(SEVERITY_ORDER, "Only this severity")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> FindingPage:
    """List findings, most severe and most valuable first, with their savings per currency."""
    flt = FindingFilter(kind=kind, status=status, application=application, severity=severity)
    items, total, savings = review.list_findings(
        session=session, flt=flt, limit=limit, offset=offset
    )
    return FindingPage(items=items, total=total, limit=limit, offset=offset, savings_total=savings)


@router.get("/findings/{key}", response_model=FindingRead)
def get_finding(key: str, session: SessionDep, user: FindingsReader) -> FindingRead:
    """One finding by its key."""
    return review.get_finding(session=session, key=key)


@router.patch("/findings/{key}", response_model=FindingRead)
def update_finding(
    key: str, body: FindingUpdate, session: SessionDep, user: AssetManagerUser
) -> FindingRead:
    """Acknowledge, dismiss (reason required) or reopen a finding."""
    return review.set_status(
        session=session, key=key, status=body.status, by=user.email, reason=body.reason
    )


@router.post("/analyze", response_model=AnalysisRead)
def run_analysis(
    session: SessionDep,
    settings: SettingsDep,
    user: AssetManagerUser,
    body: Annotated[AnalyzeRequest | None, Body()] = None,
) -> AnalysisRead:
    """Run every rule now (or as of ``as_of``) and update the findings."""
    as_of = (body.as_of if body else None) or date.today()
    summary = analyze(session=session, settings=settings, today=as_of)
    return AnalysisRead.model_validate(summary.as_json())
