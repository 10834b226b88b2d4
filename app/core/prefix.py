"""Serving Seatwise under a path of its host (``SEATWISE_BASE_URL=https://intra.example/seatwise``).

The application speaks *route paths* everywhere: its templates, redirects and the links
its views build all say ``/contracts/7``. :class:`PathPrefix` translates at the edge,
so no page, view or redirect has to know where it is mounted:

- a request may arrive with the prefix (a proxy that forwards the path as is) or without
  it (one that strips it, as most guides configure nginx and Traefik); either way the
  scope gets ``root_path`` = the prefix and a ``path`` that carries it, which is what
  Starlette's router and ``StaticFiles`` expect;
- the answer's ``Location`` and htmx's ``HX-Location``, ``HX-Push-Url``, ``HX-Redirect``
  and ``HX-Replace-Url`` headers, and the site-absolute URLs in an HTML answer's
  ``href``, ``src``, ``action``, ``hx-*`` and ``data-*`` attributes, get the prefix.

With no path in the base URL the middleware is not installed at all.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Attribute values that are paths of this site: "/x", not "//host/x" (another site).
_ATTRIBUTE_URL = re.compile(rb'(\s(?:href|src|action|hx-[a-z-]+|data-[a-z-]+)=")(/(?!/))')
_URL_HEADERS = {b"location", b"hx-location", b"hx-push-url", b"hx-redirect", b"hx-replace-url"}


def route_path(request: Request) -> str:
    """The request's path within Seatwise, without the prefix it is served under: what
    the routes are declared with, and what the application's own links say."""
    path = request.url.path
    root = request.scope.get("root_path", "")
    if root and (path == root or path.startswith(root + "/")):
        return path[len(root) :] or "/"
    return path


def _prefixed(value: bytes, prefix: bytes) -> bytes:
    if value.startswith(b"/") and not value.startswith(b"//"):
        return prefix + value
    return value


class PathPrefix:
    """ASGI middleware: serve the wrapped application under ``prefix`` (see the module)."""

    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        self.prefix = prefix
        self._prefix_bytes = prefix.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path == self.prefix:
            path = self.prefix + "/"
        elif not path.startswith(self.prefix + "/"):
            path = self.prefix + path  # the proxy stripped it
        raw = path.encode()
        scope = {**scope, "root_path": self.prefix, "path": path, "raw_path": raw}
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        rewriter = _Rewriter(send, self._prefix_bytes, body=scope.get("method") != "HEAD")
        await self.app(scope, receive, rewriter)


class _Rewriter:
    """Wraps ``send``: prefixes URL headers and buffers an HTML body to prefix its links."""

    def __init__(self, send: Send, prefix: bytes, *, body: bool) -> None:
        self.send = send
        self.prefix = prefix
        self.rewrite_body = body  # a HEAD answer has none, and keeps its GET's length
        self.start: Message | None = None
        self.body: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [
                (name, _prefixed(value, self.prefix) if name.lower() in _URL_HEADERS else value)
                for name, value in message.get("headers", [])
            ]
            message = {**message, "headers": headers}
            if self.rewrite_body and _is_html(headers):
                self.start = message  # sent with the rewritten body, whose length changes
                return
            await self.send(message)
            return
        if message["type"] != "http.response.body" or self.start is None:
            await self.send(message)
            return
        self.body.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        body = _ATTRIBUTE_URL.sub(lambda m: m[1] + self.prefix + m[2], b"".join(self.body))
        headers = [(n, v) for n, v in self.start["headers"] if n.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await self.send({**self.start, "headers": headers})
        await self.send({"type": "http.response.body", "body": body})


def _is_html(headers: list[Any]) -> bool:
    return any(
        name.lower() == b"content-type" and value.lower().startswith(b"text/html")
        for name, value in headers
    )
