"""What a form's redirect tells the page it leads to ("Saved C-1.", a connector test's
outcome), carried in the address and signed.

The address keeps the page bookmarkable and Back showing the same; the signature (HMAC
of the values with the secret key) keeps anyone else from putting words on a real
Seatwise page: a link crafted as ``/settings?message=Your+licence+expired,+call+…``
shows no message, since only the server can sign one.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from urllib.parse import urlencode

from starlette.requests import Request

SIGNATURE = "sig"


def _signature(request: Request, pairs: Sequence[tuple[str, str]]) -> str:
    secret: str = request.app.state.settings.secret_key
    text = "\x00".join(f"{k}\x00{v}" for k, v in sorted(pairs, key=lambda p: p[0]))
    digest = hmac.new(f"flash:{secret}".encode(), text.encode(), hashlib.sha256).digest()
    return digest[:16].hex()


def signed_query(request: Request, pairs: Sequence[tuple[str, str]]) -> str:
    """``pairs`` (a key may repeat) as a query string with their signature."""
    return urlencode([*pairs, (SIGNATURE, _signature(request, pairs))])


def shown(request: Request, *keys: str) -> dict[str, list[str]] | None:
    """The values of ``keys`` in the address if the server signed them together, else None
    (absent, altered, or written by someone else)."""
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k in keys]
    if not pairs:
        return None
    if not hmac.compare_digest(request.query_params.get(SIGNATURE, ""), _signature(request, pairs)):
        return None
    return {k: [v for key, v in pairs if key == k] for k in keys}


def message(request: Request) -> str | None:
    """The signed ``message`` of the address, if any."""
    values = shown(request, "message")
    return values["message"][0] if values and values["message"] else None
