"""Google API plumbing for the Workspace connector.

Holds what is about talking to Google rather than about licences: reading the service
account key, signing in with domain-wide delegation, trusting a custom CA on every call
(token request included), retrying throttled calls with capped exponential backoff, and
turning Google's errors into the connector's typed errors with a next step for the user.
"""

from __future__ import annotations

import json
import os
import random
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import google.auth.exceptions
import google_auth_httplib2
import httplib2
import requests
from google.auth.transport.requests import Request as AuthRequest
from google.oauth2 import service_account
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from connectors.base import (
    ConnectorAuthError,
    ConnectorConfigError,
    ConnectorDataError,
    ConnectorError,
    ConnectorPermissionError,
    ConnectorRateLimited,
    ConnectorUnavailable,
)

DIRECTORY_SCOPE = "https://www.googleapis.com/auth/admin.directory.user.readonly"
LICENSING_SCOPE = "https://www.googleapis.com/auth/apps.licensing"
SCOPES = (DIRECTORY_SCOPE, LICENSING_SCOPE)

_KEY_FIELDS = ("type", "client_email", "private_key", "token_uri")
_RATE_REASONS = frozenset({"userRateLimitExceeded", "rateLimitExceeded", "quotaExceeded"})
_TIMEOUT_SECONDS = 60
_NEXT = "then run `seatwise connector test <name>` again"


@dataclass
class RetryPolicy:
    """How long to keep retrying throttled or failing calls.

    Google's quota errors rarely carry ``Retry-After``, so delays grow exponentially
    with jitter (the backoff Google documents), capped at ``max_delay`` seconds.
    """

    attempts: int = 6
    base_delay: float = 1.0
    max_delay: float = 32.0
    max_retry_after: float = 120.0
    """The longest ``Retry-After`` a sync sleeps out; a longer one ends the sync (retrying
    sooner than the server asked only meets another refusal)."""

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based): the server's
        ``Retry-After`` when it sent one, else the capped exponential backoff."""
        if retry_after is not None:
            return retry_after
        ceiling = min(self.max_delay, self.base_delay * 2**attempt)
        return float(ceiling * (0.5 + random.random() / 2))


def environment_ca() -> str | None:
    """The CA file the environment names (``REQUESTS_CA_BUNDLE``, else ``SSL_CERT_FILE``).

    Without a ``ca_bundle``, httplib2 would trust only its own bundled certificates and
    ignore these variables, which Python's ``ssl`` (the Slack connector) and httpx (the
    Microsoft one) honour: a private CA set for the whole host failed only Google's calls.
    """
    for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
        path = os.environ.get(name, "").strip()
        if path and os.path.isfile(path):
            return path
    return None


def parse_service_account_key(raw: dict[str, Any] | str) -> dict[str, Any]:
    """Return the service account key as a dict, refusing anything unusable.

    Raises:
        ConnectorConfigError: The key is not JSON, not a service account key, or lacks
            a field google-auth needs.
    """
    info: Any = raw
    if isinstance(raw, str):
        try:
            info = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ConnectorConfigError(
                f"service_account_key is not valid JSON ({exc.msg} at line {exc.lineno} "
                f"column {exc.colno}). Paste the whole JSON key file downloaded from the "
                "Google Cloud console (IAM → Service accounts → Keys)."
            ) from exc
    if not isinstance(info, dict):
        raise ConnectorConfigError(
            "service_account_key must be a JSON object (the content of the key file "
            "downloaded from the Google Cloud console)."
        )
    missing = [name for name in _KEY_FIELDS if not info.get(name)]
    if missing:
        raise ConnectorConfigError(
            f"service_account_key lacks {', '.join(missing)}: it is not a complete service "
            "account JSON key. Download a new JSON key for the service account and paste it whole."
        )
    if info["type"] != "service_account":
        raise ConnectorConfigError(
            f"service_account_key has type {info['type']!r}, not 'service_account'. Use a "
            "service account's JSON key, not an OAuth client or user credential."
        )
    return info


def make_credentials(
    info: dict[str, Any], subject: str, scopes: tuple[str, ...] = SCOPES
) -> service_account.Credentials:
    """Build delegated credentials acting as ``subject``."""
    try:
        creds = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
            info, scopes=list(scopes)
        )
    except (ValueError, TypeError, IndexError) as exc:
        raise ConnectorConfigError(
            f"service_account_key cannot be used: {exc}. The private_key must be the PEM "
            "text from the downloaded JSON key; download a new key if it was edited."
        ) from exc
    delegated: service_account.Credentials = creds.with_subject(subject)
    return delegated


class GoogleTransport:
    """Signed-in access to Google APIs that trusts ``ca_path`` on every request."""

    def __init__(
        self,
        info: dict[str, Any],
        subject: str,
        ca_path: str | None,
        policy: RetryPolicy,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.info = info
        self.subject = subject
        ca_path = ca_path or environment_ca()
        self.policy = policy
        self.sleep = sleep
        self.credentials = make_credentials(info, subject)
        session = requests.Session()
        if ca_path is not None:
            session.verify = ca_path
            # Environment CA variables would silently override verify=ca_path.
            session.trust_env = False
        self._auth_request = AuthRequest(session)
        self._http = google_auth_httplib2.AuthorizedHttp(
            self.credentials, http=httplib2.Http(ca_certs=ca_path, timeout=_TIMEOUT_SECONDS)
        )

    def sign_in(self) -> None:
        """Fetch an access token now, so credential problems surface with clear messages."""
        try:
            self.credentials.refresh(self._auth_request)  # type: ignore[no-untyped-call]
        except google.auth.exceptions.RefreshError as exc:
            raise self._refresh_error(exc) from exc
        except google.auth.exceptions.TransportError as exc:
            raise ConnectorUnavailable(
                f"Could not reach Google's token endpoint {self.info['token_uri']}: "
                f"{_root_cause(exc)}. Check the network (and ca_bundle), {_NEXT}."
            ) from exc

    def service(self, api: str, version: str, endpoint: str) -> Any:
        """Return a googleapiclient resource for ``api`` rooted at ``endpoint``."""
        return build(
            api,
            version,
            http=self._http,
            client_options={"api_endpoint": endpoint},
            static_discovery=True,
            cache_discovery=False,
        )

    def execute(self, request: Any, *, what: str, scope: str) -> dict[str, Any]:
        """Run ``request`` with retries and typed errors; return its JSON object.

        Args:
            request: A googleapiclient ``HttpRequest``.
            what: The call in words, for messages ("the Directory's user list").
            scope: The OAuth scope the call needs, named when permission is refused.
        """
        last: str = ""
        retry_after: float | None = None
        for attempt in range(self.policy.attempts):
            if attempt:
                self.sleep(self.policy.delay(attempt - 1, retry_after))
            try:
                result = request.execute(num_retries=0)
            except HttpError as exc:
                status, reason, message = _http_error_facts(exc)
                retry_after = _retry_after(exc)
                if status == 429 or status >= 500 or (status == 403 and reason in _RATE_REASONS):
                    last = f"HTTP {status} {reason or message}".strip()
                    if retry_after is not None and retry_after > self.policy.max_retry_after:
                        raise ConnectorRateLimited(
                            f"Google answered {what} with {last} and asked to wait "
                            f"{retry_after:.0f} s (Retry-After), longer than a sync waits "
                            f"({self.policy.max_retry_after:.0f} s). Sync again later.",
                            retry_after=retry_after,
                        ) from exc
                    continue
                raise self._api_error(status, reason, message, what, scope) from exc
            except google.auth.exceptions.RefreshError as exc:
                raise self._refresh_error(exc) from exc
            except ssl.SSLCertVerificationError as exc:
                raise ConnectorUnavailable(_tls_message(what, exc)) from exc
            except (httplib2.HttpLib2Error, OSError, google.auth.exceptions.TransportError) as exc:
                if isinstance(exc.__cause__ or exc.__context__, ssl.SSLCertVerificationError):
                    raise ConnectorUnavailable(_tls_message(what, exc)) from exc
                last, retry_after = _root_cause(exc), None
                continue
            except ValueError as exc:
                raise ConnectorDataError(
                    f"Google answered {what} with something that is not JSON ({exc}). "
                    "This is usually a proxy or gateway in the way; check directory_url and "
                    "licensing_url."
                ) from exc
            if not isinstance(result, dict):
                raise ConnectorDataError(
                    f"Google answered {what} with something that is not JSON: "
                    f"{str(result)[:80]!r}. A proxy or gateway may be in the way; check "
                    "directory_url and licensing_url."
                )
            return result
        if last.startswith(("HTTP 429", "HTTP 403")):
            raise ConnectorRateLimited(
                f"Google kept throttling {what} ({last}) after {self.policy.attempts} tries. "
                "Wait a few minutes and sync again; if it persists, raise the Admin SDK quota "
                "in the Google Cloud console.",
                retry_after=retry_after,
            )
        raise ConnectorUnavailable(
            f"Google kept failing {what} ({last}) after {self.policy.attempts} tries. "
            "Check https://www.google.com/appsstatus and sync again later."
        )

    # ------------------------------------------------------------------ error mapping

    def _refresh_error(self, exc: google.auth.exceptions.RefreshError) -> ConnectorError:
        code, description = _oauth_error(exc)
        client_id = self.info.get("client_id", "(the key's client_id)")
        scopes = ", ".join(SCOPES)
        if code == "unauthorized_client":
            missing = [s for s in SCOPES if not self._scope_granted(s)]
            if missing and len(missing) < len(SCOPES):
                return ConnectorPermissionError(
                    f"Google refused the scope {missing[0]} for client ID {client_id} "
                    "(unauthorized_client). In the Admin console open Security → API controls "
                    f"→ Domain-wide delegation and add {missing[0]} to client ID {client_id}, "
                    f"{_NEXT}.",
                    missing=missing[0],
                )
            return ConnectorAuthError(
                f"Google refused to issue a token acting as {self.subject} "
                f"(unauthorized_client: {description}). Check that `subject` is the e-mail of "
                "an admin of the domain, and that client ID "
                f"{client_id} is authorised in the Admin console (Security → API controls → "
                f"Domain-wide delegation) for {scopes}; {_NEXT}."
            )
        if code == "invalid_grant":
            return ConnectorAuthError(
                f"Google refused the service account's sign-in as {self.subject} "
                f"(invalid_grant: {description}). The key may have been deleted or disabled, "
                "or `subject` is not a user of the domain: create a new JSON key or fix "
                f"`subject`, {_NEXT}."
            )
        if getattr(exc, "retryable", False):
            return ConnectorUnavailable(
                f"Google's token endpoint kept failing ({code or exc}). Sync again later."
            )
        return ConnectorAuthError(
            f"Google refused the service account's sign-in ({code or 'error'}: "
            f"{description or exc}). Check the JSON key and `subject`, {_NEXT}."
        )

    def _scope_granted(self, scope: str) -> bool:
        """Ask for a token with ``scope`` alone, to tell which scope delegation lacks."""
        try:
            self.credentials.with_scopes([scope]).refresh(self._auth_request)
        except google.auth.exceptions.GoogleAuthError:
            return False
        return True

    def _api_error(
        self, status: int, reason: str, message: str, what: str, scope: str
    ) -> ConnectorError:
        if status == 401:
            return ConnectorAuthError(
                f"Google refused the access token for {what} (401 {message}). Check that the "
                f"service account key is still valid, {_NEXT}."
            )
        if status == 403:
            return ConnectorPermissionError(
                f"Google refused {what} (403 {reason or ''} {message}). `subject` "
                f"({self.subject}) must be an admin allowed to read it, and the client ID must "
                f"hold {scope} under Domain-wide delegation in the Admin console; {_NEXT}.",
                missing=scope,
            )
        if status in (400, 404):
            return ConnectorConfigError(
                f"Google rejected {what} ({status} {reason or ''} {message}). Check "
                "`customer_id`, `domain` and `license_products` in the connector's settings."
            )
        return ConnectorDataError(f"Google answered {what} with HTTP {status}: {message}.")


def _http_error_facts(exc: HttpError) -> tuple[int, str, str]:
    """Return (status, first error reason, message) of a Google error response."""
    status = int(exc.resp.status)
    reason, message = "", ""
    try:
        body = json.loads(exc.content.decode("utf-8", "replace"))
        error = body.get("error", {}) if isinstance(body, dict) else {}
        if isinstance(error, dict):
            message = str(error.get("message", ""))
            errors = error.get("errors") or []
            if errors and isinstance(errors[0], dict):
                reason = str(errors[0].get("reason", ""))
            reason = reason or str(error.get("status", ""))
        elif isinstance(error, str):
            reason = error
    except (ValueError, AttributeError):
        message = exc.content[:200].decode("utf-8", "replace")
    return status, reason, message or str(exc.resp.reason)


def _retry_after(exc: HttpError) -> float | None:
    value = exc.resp.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _oauth_error(exc: google.auth.exceptions.RefreshError) -> tuple[str, str]:
    """Return the OAuth ``error`` code and description carried by a RefreshError."""
    for arg in exc.args[1:]:
        if isinstance(arg, dict):
            return str(arg.get("error", "")), str(arg.get("error_description", ""))
    text = str(exc.args[0]) if exc.args else str(exc)
    code, _, description = text.partition(":")
    return code.strip(), description.strip()


def _root_cause(exc: BaseException) -> str:
    while exc.__cause__ is not None:
        exc = exc.__cause__
    return str(exc) or type(exc).__name__


def _tls_message(what: str, exc: BaseException) -> str:
    return (
        f"The TLS certificate of the server for {what} is not trusted ({_root_cause(exc)}). "
        "If it uses a private CA, set `ca_bundle` to that CA's PEM file."
    )
