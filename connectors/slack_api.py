"""Slack Web API plumbing: a WebClient that trusts ``ca_bundle``, honours Retry-After,
and turns Slack's ``ok: false`` answers and transport failures into typed errors.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from connectors.base import (
    ConnectorAuthError,
    ConnectorConfigError,
    ConnectorDataError,
    ConnectorError,
    ConnectorPermissionError,
    ConnectorRateLimited,
    ConnectorUnavailable,
)
from connectors.ca_bundle import ca_bundle_path

_AUTH_ERRORS = frozenset({"invalid_auth", "not_authed", "token_revoked", "account_inactive"})
_TOKEN_TYPE_ERRORS = frozenset({"user_is_bot", "not_allowed_token_type", "not_an_admin"})
_SCOPE_OF = {"users.list": "users:read", "team.billableInfo": "admin", "team.accessLogs": "admin"}
_NEXT = "then run `seatwise connector test <name>` again"


class SlackRefused(Exception):
    """A Slack method answered ``ok: false`` with ``error``."""

    def __init__(self, error: str, data: dict[str, Any]) -> None:
        super().__init__(error)
        self.error = error
        self.data = data


class RetryAfterHandler(RetryHandler):
    """Retry HTTP 429 after the ``Retry-After`` Slack sends, unless that is too long."""

    def __init__(
        self, max_retry_count: int, max_wait: float, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait
        self.sleep = sleep

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return (
            response is not None
            and response.status_code == 429
            and (_retry_after(response.headers) or 0) <= self.max_wait
        )

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        wait = _retry_after(response.headers) if response is not None else None
        self.sleep(1.0 if wait is None else wait)
        state.next_attempt_requested = True
        state.increment_current_attempt()


class SlackApi:
    """Calls Slack Web API methods for one token, with retries and typed errors."""

    def __init__(
        self,
        *,
        token: str,
        api_url: str,
        ca_bundle: str | None,
        max_retries: int = 5,
        max_wait: float = 120.0,
    ) -> None:
        self.max_retries = max_retries
        self.max_wait = max_wait
        ca_path = ca_bundle_path(ca_bundle)
        try:
            context = ssl.create_default_context(cafile=ca_path)
        except (ssl.SSLError, OSError) as exc:
            raise ConnectorConfigError(f"ca_bundle could not be loaded: {exc}.") from exc
        self.client = WebClient(
            token=token,
            base_url=api_url,
            ssl=context,
            timeout=30,
            retry_handlers=[
                ConnectionErrorRetryHandler(max_retry_count=2),
                ServerErrorRetryHandler(max_retry_count=2),
                RetryAfterHandler(max_retry_count=max_retries, max_wait=max_wait),
            ],
        )

    def call(
        self, method: Callable[..., Any], name: str, *, refusals: bool = False, **params: Any
    ) -> dict[str, Any]:
        """Call a Web API method and return its JSON, raising typed errors.

        With ``refusals``, an ``ok: false`` answer is raised as ``SlackRefused`` so the
        caller can treat some (``paid_only``) as non-fatal.
        """
        try:
            response = method(**params)
        except SlackApiError as exc:
            raise self._api_error(exc, name, refusals) from exc
        except SlackClientError as exc:
            raise ConnectorUnavailable(f"Slack {name} failed: {exc}. Check api_url.") from exc
        except OSError as exc:
            raise ConnectorUnavailable(_network_message(name, exc)) from exc
        except ValueError as exc:  # slack-sdk parses the body itself: JSONDecodeError
            raise ConnectorDataError(
                f"Slack answered {name} with something that is not JSON ({exc}); "
                "check api_url points at Slack's Web API."
            ) from exc
        data = response.data
        if not isinstance(data, dict):
            raise ConnectorDataError(f"Slack answered {name} with something that is not JSON.")
        return data

    def _api_error(self, exc: SlackApiError, name: str, refusals: bool) -> Exception:
        response = exc.response
        status = int(response.status_code)
        data = response.data if isinstance(response.data, dict) else {}
        error = str(data.get("error", ""))
        if status == 429 or error == "ratelimited":
            wait = _retry_after({k: [v] for k, v in (response.headers or {}).items()})
            if status != 429:
                why = "answered 'ratelimited' without HTTP 429 (nothing says when to retry)"
            elif wait is not None and wait > self.max_wait:
                why = (
                    f"asked to wait {wait:.0f} s, longer than a sync waits ({self.max_wait:.0f} s)"
                )
            else:
                why = f"kept rate-limiting it past {self.max_retries} retries"
            return ConnectorRateLimited(
                f"Slack rate-limited {name}: it {why}. Sync again later.", retry_after=wait
            )
        if status >= 500:
            return ConnectorUnavailable(
                f"Slack failed {name} with HTTP {status}. Check https://slack-status.com and "
                "sync again later."
            )
        if error.startswith("Received a response in a non-JSON format"):
            return ConnectorDataError(
                f"Slack answered {name} with something that is not JSON (HTTP {status}). "
                "Check api_url: it must be the Web API root ending in /api/."
            )
        refused = SlackRefused(error or f"HTTP {status}", data)
        return refused if refusals else self.refusal_error(refused, name)

    def refusal_error(self, refused: SlackRefused, name: str) -> ConnectorError:
        """Turn an ``ok: false`` answer of method ``name`` into a typed connector error."""
        error = refused.error
        if error in _AUTH_ERRORS:
            return ConnectorAuthError(
                f"Slack refused the token ({error}) for {name}. Create or reinstall the Slack "
                f"app, paste its token into the connector's settings, {_NEXT}."
            )
        if error == "missing_scope":
            needed = str(refused.data.get("needed") or _SCOPE_OF.get(name, ""))
            return ConnectorPermissionError(
                f"Slack refused {name}: the token lacks the {needed} scope. Add {needed} to "
                f"the Slack app's user token scopes, reinstall the app, {_NEXT}.",
                missing=needed,
            )
        if error in _TOKEN_TYPE_ERRORS:
            return ConnectorPermissionError(
                f"Slack refused {name} ({error}): it needs a user token (xoxp-) of a "
                f"workspace admin with the admin scope. Paste such a token, {_NEXT}.",
                missing="admin",
            )
        return ConnectorDataError(f"Slack refused {name} with error {error!r}.")


def _retry_after(headers: dict[str, Any]) -> float | None:
    for key, value in headers.items():
        if key.lower() == "retry-after":
            raw = value[0] if isinstance(value, list | tuple) and value else value
            try:
                return max(0.0, float(raw))
            except (TypeError, ValueError):
                return None
    return None


def _network_message(name: str, exc: BaseException) -> str:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return (
                f"Slack's TLS certificate was not trusted for {name} ({cause.verify_message}). "
                "If the server uses a private CA, set ca_bundle to that CA's PEM file."
            )
        cause = getattr(cause, "reason", None) or cause.__cause__
    return f"Could not reach Slack for {name}: {exc}. Check the network and api_url."
