"""Client-credentials tokens for Microsoft Graph, and Graph's error responses as typed errors.

msal does the OAuth work. Two traps are handled here: msal only trusts a private CA
reliably through its own ``requests.Session`` with ``trust_env`` off (the environment's
``REQUESTS_CA_BUNDLE`` would otherwise override it), and it calls Microsoft's instance
discovery for any authority host it does not know, which a simulator or a private
endpoint cannot answer.
"""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
import msal
import msal.exceptions
import requests
from msal.authority import WELL_KNOWN_AUTHORITY_HOSTS

from connectors.base import (
    ConnectorAuthError,
    ConnectorConfigError,
    ConnectorDataError,
    ConnectorError,
    ConnectorPermissionError,
    ConnectorRateLimited,
    ConnectorUnavailable,
)
from connectors.http import RetryPolicy, backoff_seconds, retry_after_seconds
from connectors.http_messages import attempts_text, gave_up_throttled, vendor_error

NEXT_STEP = "then run `seatwise connector test <name>`"
# Graph's resource host in each Microsoft cloud; a token is asked for that resource.
GRAPH_RESOURCES = frozenset(
    {
        "graph.microsoft.com",
        "graph.microsoft.us",
        "dod-graph.microsoft.us",
        "microsoftgraph.chinacloudapi.cn",
        "graph.microsoft.de",
    }
)


def graph_scope(graph_url: str) -> str:
    """The client-credentials scope for Graph at ``graph_url``.

    A national cloud's Graph is its own resource (``https://graph.microsoft.us/.default``);
    any other host (a proxy, a private endpoint, a compatible test server) fronts global
    Graph, whose resource Entra ID knows, so its scope is global Graph's.
    """
    host = (urlsplit(graph_url).hostname or "").lower()
    resource = host if host in GRAPH_RESOURCES else "graph.microsoft.com"
    return f"https://{resource}/.default"


class NoPremiumLicence(ConnectorPermissionError):
    """Graph refused sign-in activity: the tenant has no Entra ID P1/P2."""


class _TokenSession(requests.Session):
    """msal's HTTP client: requests time out, and throttling and server errors are retried.

    msal sets no timeout on a custom client and retries nothing: a 429 or 503 from the
    token endpoint would end the sync at once, and msal would then answer further calls
    from its own cache of that failure for its Retry-After. So retries happen here,
    below msal, under the same policy as Graph's requests (``RetryPolicy``).
    """

    def __init__(self, timeout: float, retry: RetryPolicy, sleep: Callable[[float], None]) -> None:
        super().__init__()
        self.timeout = timeout
        self.retry = retry
        self.sleep = sleep
        self.gave_up: tuple[int, int, float] | None = None
        """(HTTP status, attempts, last wait) of a request retried in vain, for the message."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", self.timeout)
        deadline = time.monotonic() + self.retry.budget
        self.gave_up = None
        attempt = 0
        while True:
            attempt += 1
            response = super().request(method, url, *args, **kwargs)
            status = response.status_code
            if status != 429 and status < 500:
                return response
            wait = retry_after_seconds(response)
            if wait is None:
                wait = backoff_seconds(self.retry, attempt)
            if attempt >= self.retry.max_attempts or time.monotonic() + wait > deadline:
                self.gave_up = (status, attempt, wait)
                return response
            response.close()
            self.sleep(wait)


class GraphTokens:
    """Acquires and caches app-only tokens for one tenant.

    Args:
        authority_host: Entra ID login host URL, e.g. ``https://login.microsoftonline.us``.
        tenant_id: Directory (tenant) id or a verified domain.
        client_id: Application (client) id.
        client_secret: Client secret value.
        graph_url: Graph base URL; the token's scope follows from it (``graph_scope``).
        ca_path: PEM file to trust instead of the system store, or None.
        timeout: Seconds per request.
        retry: Retries of 429 and 5xx answers of the token endpoint.
        sleep: Replaced in tests that must not wait.
    """

    def __init__(
        self,
        *,
        authority_host: str,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        graph_url: str,
        ca_path: str | None,
        timeout: float,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.authority = f"{authority_host}/{tenant_id}"
        self.host = urlsplit(authority_host).hostname or authority_host
        self.netloc = urlsplit(authority_host).netloc or authority_host
        self.client_id = client_id
        self.client_secret = client_secret
        self.scope = graph_scope(graph_url)
        self.ca_path = ca_path
        self.timeout = timeout
        self._app: msal.ConfidentialClientApplication | None = None
        self._http = self._session(retry or RetryPolicy(), sleep)

    def _session(self, retry: RetryPolicy, sleep: Callable[[float], None]) -> _TokenSession:
        session = _TokenSession(self.timeout, retry, sleep)
        if self.ca_path:
            session.verify = self.ca_path
            session.trust_env = False  # else REQUESTS_CA_BUNDLE overrides verify
            session.proxies.update(urllib.request.getproxies())
        return session

    def _application(self) -> msal.ConfidentialClientApplication:
        if self._app is None:
            known = self.host in WELL_KNOWN_AUTHORITY_HOSTS
            try:
                self._app = msal.ConfidentialClientApplication(
                    self.client_id,
                    client_credential=self.client_secret,
                    authority=self.authority,
                    http_client=self._http,
                    instance_discovery=None if known else False,
                )
            except requests.RequestException as exc:
                raise self._unreachable(exc) from exc
            except msal.exceptions.MsalServiceError as exc:  # discovery kept failing
                raise self._failing(exc, "discovery requests") from exc
            except ValueError as exc:
                raise ConnectorAuthError(
                    f"Microsoft Entra ID at {self.authority} did not accept the tenant "
                    f"({_first_sentence(str(exc))}). Check tenant_id and authority_host, "
                    f"{NEXT_STEP}."
                ) from exc
        return self._app

    def _unreachable(self, exc: requests.RequestException) -> ConnectorUnavailable:
        if isinstance(exc, requests.exceptions.SSLError):
            return ConnectorUnavailable(
                f"TLS certificate of {self.netloc} is not trusted ({_first_line(str(exc))}). "
                "If it uses a private CA, set ca_bundle to that CA's PEM file."
            )
        if isinstance(exc, requests.Timeout):
            return ConnectorUnavailable(
                f"Microsoft Entra ID at {self.netloc} did not answer within {self.timeout:g} s; "
                "check authority_host and the network."
            )
        return ConnectorUnavailable(
            f"Cannot reach Microsoft Entra ID at {self.netloc} ({type(exc).__name__}); "
            "check authority_host and the network."
        )

    def __call__(self, force: bool = False) -> str:
        """Return an access token; ``force`` drops the cached one first."""
        app = self._application()
        if force:
            app.remove_tokens_for_client()
        try:
            result: dict[str, Any] = app.acquire_token_for_client(scopes=[self.scope])
        except requests.RequestException as exc:
            raise self._unreachable(exc) from exc
        except msal.exceptions.MsalServiceError as exc:  # an error status without JSON
            raise self._failing(exc) from exc
        except ValueError as exc:
            raise ConnectorDataError(
                f"Microsoft Entra ID sent an unreadable answer: {_first_line(str(exc))}"
            ) from exc
        token = result.get("access_token")
        if isinstance(token, str) and token:
            return token
        if self._http.gave_up is not None:  # throttled or failing, not refused
            raise self._failing(token_error(result))
        raise token_error(result)

    def _failing(self, exc: Exception, what: str = "token requests") -> ConnectorError:
        """Entra ID kept answering 429 or 5xx (or an error without a reason) to ``what``."""
        if self._http.gave_up is None:
            return ConnectorUnavailable(
                f"Microsoft Entra ID at {self.netloc} failed {what} "
                f"({_first_line(str(exc))}); try again later."
            )
        status, attempts, wait = self._http.gave_up
        who = f"Microsoft Entra ID at {self.netloc}"
        if status == 429:
            return ConnectorRateLimited(
                gave_up_throttled(who, what, attempts, wait, self._http.retry.budget),
                retry_after=wait,
            )
        return ConnectorUnavailable(
            f"{who} kept failing {what} with HTTP {status} after {attempts_text(attempts)}; "
            "the service may be down, try again later."
        )


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


def _first_sentence(text: str) -> str:
    """msal's first sentence: its next ones show the public cloud's URL formats, which only
    mislead someone whose authority_host is a national cloud or a test server."""
    return _first_line(text).split(". ")[0].rstrip(".")


def token_error(result: dict[str, Any]) -> ConnectorAuthError:
    """Explain an msal error dict (``error``, ``error_description`` with AADSTS code)."""
    error = str(result.get("error", "unknown_error"))
    description = _first_line(str(result.get("error_description", "")))
    short = description.split(" Trace ID:")[0]
    codes = result.get("error_codes") or []
    if 7000215 in codes or "AADSTS7000215" in description:
        advice = (
            "The client secret is wrong: use the secret's Value (not its ID) from "
            "App registrations > Certificates & secrets, or create a new one if it expired"
        )
    elif 7000222 in codes or "AADSTS7000222" in description:
        advice = "The client secret has expired: create a new one in App registrations"
    elif 700016 in codes or "AADSTS700016" in description:
        advice = "No app with this client_id exists in the tenant: check client_id and tenant_id"
    elif 90002 in codes or "AADSTS90002" in description:
        advice = "The tenant was not found: check tenant_id and authority_host"
    else:
        advice = "Check tenant_id, client_id and client_secret"
    return ConnectorAuthError(
        f"Microsoft Entra ID refused the credentials ({error}: {short}). {advice}, {NEXT_STEP}."
    )


def graph_error_for(response: httpx.Response) -> ConnectorError:
    """Turn a Graph error response into a typed error saying what to do next."""
    code, message = vendor_error(response.content)
    message = message or response.reason_phrase
    status = response.status_code
    path = response.request.url.path
    detail = f"HTTP {status} {code}: {message}".strip()
    if status == 401:
        return ConnectorAuthError(
            f"Microsoft Graph rejected the access token ({detail}). Check that the app "
            f"registration belongs to this tenant and that graph_url matches authority_host's "
            f"cloud, {NEXT_STEP}."
        )
    if status == 403:
        if code == "Authentication_RequestFromNonPremiumTenantOrB2CTenant":
            return NoPremiumLicence(
                "the tenant lacks Entra ID P1/P2, so Graph does not report sign-in activity",
                missing="Microsoft Entra ID P1",
            )
        missing = "Organization.Read.All" if path.endswith("/subscribedSkus") else "User.Read.All"
        return permission_error(missing, detail)
    if status == 404:
        return ConnectorConfigError(
            f"Microsoft Graph has no {path} at {response.request.url.host} ({detail}); "
            f"check graph_url, {NEXT_STEP}."
        )
    if status == 400:
        return ConnectorDataError(f"Microsoft Graph refused the query {path} ({detail}).")
    return ConnectorUnavailable(f"Microsoft Graph failed on {path} ({detail}); try again later.")


_NEEDED_FOR = {
    "Organization.Read.All": "to read subscribed SKUs",
    "User.Read.All": "to list users and their licences",
    "AuditLog.Read.All": "needed for sign-in activity",
}


def permission_error(missing: str, detail: str = "") -> ConnectorPermissionError:
    """Say which application permission to grant, and where."""
    why = _NEEDED_FOR.get(missing, "")
    said = f"; Graph said {detail}" if detail else ""
    return ConnectorPermissionError(
        f"Microsoft Graph refused: the app lacks {missing} ({why}){said.rstrip('.')}. "
        f"Grant it as an application permission with admin consent in Entra ID, {NEXT_STEP}.",
        missing=missing,
    )
