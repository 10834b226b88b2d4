"""The HTTP layer every connector shares: timeouts, retries, TLS trust, pagination.

One ``HttpClient`` per sync keeps a pooled keep-alive connection. Throttling (429)
and server errors (5xx) are retried with the vendor's ``Retry-After`` or capped
exponential backoff, within a total time budget per request; anything else is
handed to the connector's ``error_for`` so vendor error bodies become typed errors.
"""

from __future__ import annotations

import random
import re
import ssl
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
import orjson

if TYPE_CHECKING:
    import requests

from connectors.base import (
    ConnectorConfigError,
    ConnectorDataError,
    ConnectorError,
    ConnectorRateLimited,
    ConnectorUnavailable,
)
from connectors.http_messages import (
    attempts_text,
    describe_transport_error,
    gave_up_throttled,
    vendor_error_text,
)

Params = Mapping[str, str | int]
TokenProvider = Callable[[bool], str]
"""Returns a bearer token; called with True to force a fresh one after a 401."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to retry one request before giving up.

    Attributes:
        max_attempts: Tries in all, the first included.
        backoff_base: First backoff in seconds when the vendor gives no Retry-After.
        backoff_cap: Longest single backoff.
        budget: Seconds one request may take with all its retries; a Retry-After
            that would overrun it ends the request at once.
    """

    max_attempts: int = 6
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    budget: float = 90.0


def ssl_context(ca_bundle: str | None) -> ssl.SSLContext | bool:
    """Build the TLS trust for a connector.

    Args:
        ca_bundle: Path of a PEM file holding the CA certificates to trust instead of
            the system store, or None for the default trust store.

    Returns:
        An ``ssl.SSLContext`` (for httpx) or True for the default store.

    Raises:
        ConnectorConfigError: The file is missing or is not PEM certificates.
    """
    if not ca_bundle:
        return True
    path = Path(ca_bundle).expanduser()
    if not path.is_file():
        raise ConnectorConfigError(
            f"ca_bundle {ca_bundle!r} does not exist or is not a file; "
            "set it to the path of a PEM file with the CA certificate to trust."
        )
    try:
        return ssl.create_default_context(cafile=str(path))
    except (ssl.SSLError, ValueError) as exc:
        raise ConnectorConfigError(
            f"ca_bundle {ca_bundle!r} holds no readable PEM certificate ({exc}); "
            "point it at the CA certificate in PEM format."
        ) from exc


def retry_after_seconds(response: httpx.Response | requests.Response) -> float | None:
    """Read ``Retry-After`` (delta-seconds or HTTP date) from a response (httpx or requests)."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # asctime() form or "-0000": an HTTP-date is always UTC
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - time.time())


def backoff_seconds(policy: RetryPolicy, attempt: int) -> float:
    """The wait before retry ``attempt + 1`` when the vendor names none: capped, jittered."""
    backoff = min(policy.backoff_cap, policy.backoff_base * 2.0 ** (attempt - 1))
    return backoff * random.uniform(0.5, 1.0)


class HttpClient:
    """A retrying JSON client bound to one vendor.

    Args:
        vendor: Vendor name used in messages ("Microsoft Graph").
        error_for: Turns a non-retryable error response into a typed error.
        verify: TLS trust, from ``ssl_context``.
        timeout: Seconds for connecting and for each read.
        retry: Retry policy for 429 and 5xx.
        token: Bearer token provider; on a 401 it is asked once for a fresh token.
        sleep: Replaced in tests that must not wait.
    """

    def __init__(
        self,
        *,
        vendor: str,
        error_for: Callable[[httpx.Response], ConnectorError],
        verify: ssl.SSLContext | bool = True,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        token: TokenProvider | None = None,
        headers: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.vendor = vendor
        self.error_for = error_for
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.token = token
        self.sleep = sleep
        self.requests_sent = 0
        self._client = httpx.Client(
            verify=verify,
            timeout=httpx.Timeout(timeout),
            headers={"Accept": "application/json", **(headers or {})},
            follow_redirects=False,
        )

    def close(self) -> None:
        """Close pooled connections."""
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, method: str, url: str, *, params: Params | None = None) -> httpx.Response:
        """Send one request, retrying throttling and server errors.

        Returns:
            The first response that is neither 429 nor 5xx (nor a 401 cured by a
            fresh token).

        Raises:
            ConnectorRateLimited: Still throttled when the budget ran out.
            ConnectorUnavailable: Unreachable, timed out, or 5xx past the budget.
        """
        policy = self.retry
        deadline = time.monotonic() + policy.budget
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            headers = {}
            if self.token is not None:
                headers["Authorization"] = f"Bearer {self.token(False)}"
            try:
                self.requests_sent += 1
                response = self._client.request(method, url, params=params, headers=headers)
            except httpx.TransportError as exc:
                raise ConnectorUnavailable(
                    f"{self.vendor}: " + describe_transport_error(exc, url, self.timeout)
                ) from exc
            status = response.status_code
            if status == 401 and self.token is not None and not refreshed:
                refreshed = True
                self.token(True)
                continue
            if status != 429 and status < 500:
                return response
            wait = retry_after_seconds(response)
            if wait is None:
                wait = backoff_seconds(policy, attempt)
            if attempt >= policy.max_attempts or time.monotonic() + wait > deadline:
                raise self._gave_up(response, attempt, wait)
            self.sleep(wait)

    def _gave_up(self, response: httpx.Response, attempts: int, wait: float) -> ConnectorError:
        what = f"{response.request.method} {response.request.url.copy_with(query=None)}"
        if response.status_code == 429:
            return ConnectorRateLimited(
                gave_up_throttled(self.vendor, what, attempts, wait, self.retry.budget),
                retry_after=wait,
            )
        return ConnectorUnavailable(
            f"{self.vendor} kept failing {what} with HTTP {response.status_code}"
            f"{vendor_error_text(response.content)} after {attempts_text(attempts)}; "
            "the service may be down, try again later."
        )

    def get(self, url: str, *, params: Params | None = None) -> httpx.Response:
        """GET ``url``; the response, once it is a success.

        Raises:
            ConnectorError: A typed error from ``error_for`` for error statuses.
        """
        response = self.send("GET", url, params=params)
        if response.status_code >= 400:
            raise self.error_for(response)
        return response

    def get_json(self, url: str, *, params: Params | None = None) -> Any:
        """GET ``url`` and return its parsed JSON body.

        Raises:
            ConnectorError: A typed error from ``error_for`` for error statuses.
            ConnectorDataError: The body is not JSON.
        """
        return parse_json(self.get(url, params=params), self.vendor)


def parse_json(response: httpx.Response, vendor: str) -> Any:
    """Parse a response body once, naming the URL when it is not JSON."""
    return parse_body(response.content, where(response), vendor)


def where(response: httpx.Response) -> str:
    """The URL a response came from, without its query (which may be long, or secret)."""
    return str(response.request.url.copy_with(query=None))


def parse_body(body: bytes, url: str, vendor: str) -> Any:
    """Parse a JSON body fetched from ``url``, naming the URL when it is not JSON."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ConnectorDataError(
            f"{vendor} sent a response that is not valid JSON from {url} ({exc}); "
            "retry the sync, and report it if it persists."
        ) from exc


_BLANK = b" \t\r\n"
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)


def next_link_in(body: bytes, key: str) -> str | None:
    """The value of the member ``key`` in a JSON body, found without parsing the body.

    For a fetch that hands pages on unparsed (the sync parses them in another process)
    but must know the next page's URL at once. The first ``"key": "…"`` that stands
    where a member name can stand (after ``{`` or ``,``; inside a string every quote is
    escaped, so it cannot match there) is taken. Which object it belongs to is not
    checked here: whoever parses the page must compare it with the page's own member
    (Graph's next link is a top-level member and no user field carries that name).

    Raises:
        ValueError: The member is there but its value is neither a string nor null.
    """
    name = orjson.dumps(key)
    start = 0
    while (found := body.find(name, start)) >= 0:
        start = found + len(name)
        before = found - 1
        while before >= 0 and body[before] in _BLANK:
            before -= 1
        if before < 0 or body[before] not in b"{,":
            continue
        colon = start
        while colon < len(body) and body[colon] in _BLANK:
            colon += 1
        if colon == len(body) or body[colon] != ord(":"):
            continue
        value = colon + 1
        while value < len(body) and body[value] in _BLANK:
            value += 1
        if body.startswith(b"null", value):
            return None
        match = _JSON_STRING.match(body, value)
        if match is None:
            raise ValueError(f"{key} is neither a string nor null")
        link: str = orjson.loads(match.group())
        return link
    return None


UnparsedPage = tuple[bytes, str, str | None]
"""A page's body, its URL without the query, and the next link found in it."""


def follow_next_links_unparsed(
    get: Callable[[str, Params | None], httpx.Response],
    url: str,
    params: Params | None,
    *,
    next_key: str,
) -> Iterator[UnparsedPage]:
    """Yield pages unparsed, following an absolute next-page URL until the vendor gives none.

    Every request carries the access token, so each link is requested from the first
    page's server (:func:`on_server_of`): a link to another host, port or scheme,
    planted in a page or written by a proxy or a simulator that does not know its own
    address (``https://graph.microsoft.com/…`` behind ``https://127.0.0.1:8443``), keeps
    its path and query and goes to the server the connector is configured for. A
    relative link is read against the page it came from.

    Args:
        get: Gets one page: ``get(url, params)`` returns the successful response.
        url: The first page's URL.
        params: Query parameters of the first page only; next links carry their own.
        next_key: Body key of the next page's URL (``@odata.nextLink``).

    Yields:
        ``(body, url without query, next link)``: the link found by :func:`next_link_in`
        and followed; the page's parser must check it is the page's own.

    Raises:
        ConnectorDataError: A link is empty or repeats (the pages would never end).
    """
    seen: set[str] = set()
    next_url: str | None = url
    while next_url is not None:
        response = get(next_url, params)
        params = None
        body, page_url = response.content, where(response)
        try:
            link = next_link_in(body, next_key)
        except ValueError:  # not a string (or cut off): the page's parser names the fault
            link = None
        if link is not None and (not link or link in seen):
            raise ConnectorDataError(f"bad or repeated {next_key} from {page_url}: {link!r}")
        if link is not None:
            seen.add(link)
        yield body, page_url, link
        next_url = None if link is None else on_server_of(url, urljoin(next_url, link))


def on_server_of(first: str, link: str) -> str:
    """``link`` with ``first``'s scheme, host and port: the server the token is meant for."""
    home, there = urlsplit(first), urlsplit(link)
    if (there.scheme.lower(), there.netloc.lower()) == (home.scheme.lower(), home.netloc.lower()):
        return link
    return urlunsplit((home.scheme, home.netloc, there.path, there.query, ""))


def follow_cursor(fetch: Callable[[str | None], tuple[Any, str | None]]) -> Iterator[Any]:
    """Yield pages of a cursor/page-token API until the cursor is empty.

    Args:
        fetch: Gets one page for a cursor (None first); returns ``(page, next_cursor)``.
    """
    cursor: str | None = None
    seen: set[str] = set()
    while True:
        page, cursor = fetch(cursor)
        yield page
        if not cursor:
            return
        if cursor in seen:
            raise ConnectorDataError(f"the vendor repeated a page cursor: {cursor!r}")
        seen.add(cursor)
