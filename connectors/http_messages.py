"""What the HTTP layer says when a request fails for good: plain sentences naming the
host, the request and the vendor's own reason, so a sync run's error tells an
administrator what to do next without a traceback."""

from __future__ import annotations

import ssl
from urllib.parse import urlsplit

import httpx
import orjson


def attempts_text(count: int) -> str:
    """ "1 attempt", "6 attempts": for messages about retries."""
    return f"{count} attempt" if count == 1 else f"{count} attempts"


def gave_up_throttled(who: str, what: str, attempts: int, wait: float, budget: float) -> str:
    """Why a throttled request was given up: throttled on every try, or told to wait
    longer than the retry budget allows (a single 429 asking for an hour)."""
    again = f"try the sync again in {max(wait, 1):.0f} s or at a quieter time."
    if attempts == 1:
        return (
            f"{who} throttled {what} (HTTP 429) and asked for a wait of {wait:.0f} s, "
            f"more than the {budget:g} s Seatwise waits for one request; {again}"
        )
    return f"{who} kept throttling {what} (HTTP 429, {attempts_text(attempts)}); {again}"


def vendor_error(body: bytes) -> tuple[str, str]:
    """The (code, message) a vendor put in an error answer's JSON, each "" if absent:
    Graph's ``{"error": {"code", "message"}}``, or OAuth's ``{"error",
    "error_description"}``."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return "", ""
    if not isinstance(data, dict):
        return "", ""
    error = data.get("error")
    if isinstance(error, dict):
        code, message = error.get("code"), error.get("message")
    else:
        code, message = error, data.get("error_description")
    return _text(code), _text(message)


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def vendor_error_text(body: bytes) -> str:
    """The vendor's error code and message as " (code: message)", or "" if it sent
    none. A 5xx message naming Graph's own reason (``serviceNotAvailable``,
    ``UnknownError: ...``) tells support what failed."""
    parts = [part for part in vendor_error(body) if part]
    if not parts:
        return ""
    text = ": ".join(parts).splitlines()[0]
    return f" ({text[:197]}...)" if len(text) > 200 else f" ({text})"


def describe_transport_error(exc: httpx.TransportError, url: str, timeout: float) -> str:
    """Say in plain words why a request never got an answer."""
    host = urlsplit(url).netloc or url
    text = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return f"{host} did not answer within {timeout:g} s. Check the URL and the network."
    if "CERTIFICATE_VERIFY_FAILED" in text or isinstance(exc.__cause__, ssl.SSLError):
        return (
            f"TLS certificate of {host} is not trusted ({text}). If the server uses a "
            "private CA, set ca_bundle to its PEM file."
        )
    if isinstance(exc, httpx.ConnectError):
        return f"Cannot connect to {host} ({text}). Check the URL and the network."
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
        return (
            f"{host} broke off its answer ({text}). Sync again; if it keeps happening, "
            "check the network and any proxy between Seatwise and the server."
        )
    return f"The request to {host} failed ({text}). Check the URL and the network."
