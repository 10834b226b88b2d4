"""REST twins of the findings page's bulk review and CSV export."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field

from app.auth.models import User
from app.core.security import Role
from app.deps import AssetManagerUser, SessionDep, get_engine, require_roles
from app.findings.bulk import review_many
from app.findings.csv_export import streamed_findings_csv
from app.findings.review import FindingFilter, check_filter

router = APIRouter(prefix="/api/v1", tags=["findings"])


class FindingBulkUpdate(BaseModel):
    """One decision for many findings."""

    keys: list[str] = Field(min_length=1, max_length=1000)
    status: Literal["acknowledged", "dismissed", "open"]
    reason: str | None = Field(default=None, max_length=2000)


class FindingBulkResult(BaseModel):
    """Which findings changed and which were refused (key to reason)."""

    changed: list[str]
    refused: dict[str, str]


@router.post("/findings/bulk", response_model=FindingBulkResult)
def bulk_update(
    body: FindingBulkUpdate, session: SessionDep, user: AssetManagerUser
) -> FindingBulkResult:
    """Acknowledge, dismiss (reason required) or reopen many findings."""
    result = review_many(
        session=session, keys=body.keys, status=body.status, by=user.email, reason=body.reason
    )
    return FindingBulkResult(changed=result.changed, refused=result.refused)


@router.get("/findings/export", response_class=Response)
def export_csv(
    request: Request,
    session: SessionDep,
    user: Annotated[User, Depends(require_roles(Role.asset_manager, Role.procurement))],
    kind: Annotated[str | None, Query()] = None,
    status: Annotated[str | None, Query()] = None,
    application: Annotated[str | None, Query()] = None,
    severity: Annotated[str | None, Query()] = None,
) -> Response:
    """Every finding the filter matches as CSV, streamed as they are read."""
    flt = FindingFilter(kind=kind, status=status, application=application, severity=severity)
    check_filter(session=session, flt=flt)
    return StreamingResponse(
        streamed_findings_csv(engine=get_engine(request), flt=flt),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="findings.csv"'},
    )
