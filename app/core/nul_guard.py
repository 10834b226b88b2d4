"""Refuse text holding a NUL character before it reaches a handler (422, naming where).

PostgreSQL cannot store or even compare text containing NUL (``\\x00``): a NUL in a
filter, a path segment, a form field or a JSON string would end as a database error
(500) wherever the value meets SQL. No field of Seatwise has a use for one, so the
request is refused as a whole, on both backends alike. Uploaded files (multipart) are
left alone: a spreadsheet is binary, and the importers name what is wrong with it.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SCANNED = ("application/json", "application/x-www-form-urlencoded")


def _url_has_nul(value: bytes) -> bool:
    return b"\x00" in value or b"%00" in value


def _json_has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_json_has_nul(k) or _json_has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_json_has_nul(v) for v in value)
    return False


def body_has_nul(content_type: str, body: bytes) -> bool:
    """Whether a JSON or form body carries a NUL in any key or value."""
    if content_type.startswith("application/json"):
        if b"\\u0000" not in body and b"\x00" not in body:
            return False
        try:
            return _json_has_nul(json.loads(body))
        except ValueError:
            return b"\x00" in body  # unreadable JSON: the handler names that
        except RecursionError:  # nested beyond reason, and holding NUL escapes
            return True
    pairs = parse_qsl(body.decode("latin-1"), keep_blank_values=True)
    return b"\x00" in body or any("\x00" in k or "\x00" in v for k, v in pairs)


class RefuseNul:
    """ASGI middleware: a request with NUL in its address or text body gets a 422."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogatepass")
        if _url_has_nul(raw_path) or _url_has_nul(scope.get("query_string", b"")):
            await _refuse(send, "the address")
            return
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        if not content_type.startswith(SCANNED):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, _replay([message], receive), send)
                return
            chunks.append(message.get("body", b""))
            more = bool(message.get("more_body"))
        body = b"".join(chunks)
        if body_has_nul(content_type, body):
            await _refuse(send, "the request body")
            return
        replayed = {"type": "http.request", "body": body, "more_body": False}
        await self.app(scope, _replay([replayed], receive), send)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A ``receive`` giving ``messages`` first, then the client's own."""
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


async def _refuse(send: Send, where: str) -> None:
    detail = f"{where} contains a NUL character (\\u0000), which no field accepts"
    await send_problem(send, 422, "Invalid request", detail)


async def send_problem(
    send: Send, status: int, title: str, detail: str, *headers: tuple[bytes, bytes]
) -> None:
    """Answer with an RFC 9457 problem+json from ASGI middleware, before any route runs
    (the application's own handlers never see such a request)."""
    body = json.dumps(
        {"type": "about:blank", "title": title, "status": status, "detail": detail}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
