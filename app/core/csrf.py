"""CSRF protection for every unsafe page request (forms and htmx)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.auth.pages import csrf_ok
from app.core.errors import SeatwiseError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class CsrfRejected(SeatwiseError):
    """A page form arrived without the session's CSRF token (forged, or the session expired)."""

    status_code = 400
    title = "Form expired"


async def check_csrf(request: Request) -> None:
    """Refuse an unsafe page request whose CSRF token is missing or wrong.

    Forms send the token as the ``csrf`` field; htmx sends it in ``X-CSRF-Token``
    (``app.js`` adds the header from the page's meta tag).
    """
    if request.method in SAFE_METHODS:
        return
    submitted = request.headers.get("x-csrf-token", "")
    if not submitted and request.headers.get("content-type", "").startswith(FORM_TYPES):
        form = await request.form()  # Starlette caches it: Form() params still read it
        value = form.get("csrf")
        submitted = value if isinstance(value, str) else ""
    if not csrf_ok(request, submitted):
        raise CsrfRejected(
            "This form has expired or did not come from Seatwise. Reload the page and try again."
        )


CsrfChecked = Annotated[None, Depends(check_csrf)]
