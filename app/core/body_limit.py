"""Refuse a request body larger than any route reads (413), before it fills the memory.

Without a bound, a client need not even log in: the body of a form or JSON request is
read whole before a route's guard runs (FastAPI parses it first, and :mod:`nul_guard`
reads it to look for NUL), so a 300 MB ``POST /login`` took the server from 240 MB to
1.7 GB. Multipart bodies carry an import's file (at most :data:`MAX_UPLOAD_BYTES`);
every other body is small (a form, a JSON object of settings or finding keys).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import HTTPException

from app.core.nul_guard import send_problem

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MB = 1024 * 1024
MAX_UPLOAD_BYTES = 20 * MB
"""The largest file an import accepts."""
MAX_MULTIPART_BYTES = MAX_UPLOAD_BYTES + MB
"""A multipart body: the file and the form's few fields."""
MAX_BODY_BYTES = 10 * MB
"""Any other body: far above the largest form or JSON request Seatwise takes."""


class BodyTooLarge(HTTPException):
    """The request's body is larger than its kind may be (answered 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            status_code=413,
            detail=f"the request's body is larger than {limit // MB} MB; send less at a time",
        )


class LimitBody:
    """ASGI middleware: a body over its limit ends the request with a 413.

    A ``Content-Length`` over the limit is refused before any of the body is read; a
    body sent in chunks is counted as it is read. Raised inside a route's reading, the
    413 is answered by the app's error handlers (a page or problem+json); raised where
    a middleware reads the body first, it is answered here.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        limit = MAX_MULTIPART_BYTES if content_type.startswith("multipart/") else MAX_BODY_BYTES
        declared = headers.get(b"content-length", b"")
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            if declared.isdigit() and int(declared) > limit:
                raise BodyTooLarge(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracked_send)
        except BodyTooLarge as exc:
            if started:
                raise
            await send_problem(
                send, 413, "Content Too Large", str(exc.detail), (b"connection", b"close")
            )
