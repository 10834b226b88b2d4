"""The landing page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.core.templating import templates
from app.deps import CurrentUser

router = APIRouter(tags=["pages"])


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, user: CurrentUser) -> Response:
    """The dashboard."""
    return templates.TemplateResponse(request, "dashboard/index.html", {"user": user})
