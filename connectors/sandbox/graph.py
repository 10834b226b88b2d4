"""A Microsoft Graph simulator: Entra ID token endpoint plus the licence endpoints.

Serves what the Microsoft 365 connector reads, the way Graph documents it:
OIDC discovery and the client-credentials token endpoint (a wrong secret gets the
AADSTS7000215 error), ``GET /v1.0/subscribedSkus`` and ``GET /v1.0/users`` with
``$select``, ``$top`` (1-999) and absolute ``@odata.nextLink`` URLs. Fault switches
(``GraphFaults``) inject the failures real tenants produce.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response

from connectors.sandbox.company_model import Company
from connectors.sandbox.fault_switches import add_fault_routes
from connectors.sandbox.graph_data import (
    DEFAULT_USER_SELECT,
    USER_PROPERTY_CASE,
    UserDirectory,
    subscribed_skus_json,
)

FOREVER = -1


@dataclass
class GraphFaults:
    """Switches that make the simulator misbehave; pages count from 1.

    Counting switches (``*_times``) fire that many times, or always when -1.
    """

    throttle: int = 0  # the next N Graph calls answer 429
    retry_after: str | None = "1"  # Retry-After sent with 429 (None: no header)
    server_error: int = 500  # status of injected server errors (500, 503, ...)
    server_error_page: int = 0  # users page that fails; 0 = every Graph call
    server_error_times: int = 0
    unauthorized_page: int = 0  # users page whose token is revoked (401) ...
    unauthorized_times: int = 0  # ... this many times
    no_premium: bool = False  # tenant without Entra ID P1: signInActivity → 403
    missing_permission: str | None = None  # e.g. "AuditLog.Read.All", "User.Read.All"
    malformed_page: int = 0  # users page whose JSON body is cut short
    cut_off_page: int = 0  # users page whose body stops short of its Content-Length
    slow_seconds: float = 0.0  # delay before answering ...
    slow_page: int = 0  # ... this users page; 0 = every Graph call
    page_size_cap: int = 0  # serve at most this many users a page, whatever $top says
    next_link_base: str = ""  # next links name this server (e.g. Graph's public one)
    token_error: int = 503  # status the token endpoint answers while token_error_times lasts:
    token_error_times: int = 0  # 429 (AADSTS50196, with retry_after) or a 5xx page, not JSON
    token_malformed: bool = False  # the token endpoint answers 200 with JSON cut short
    discovery_error_times: int = 0  # OIDC discovery answers token_error this many times


def _fires(faults: GraphFaults, name: str) -> bool:
    left: int = getattr(faults, name)
    if left == FOREVER:
        return True
    if left > 0:
        setattr(faults, name, left - 1)
        return True
    return False


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    content = orjson.dumps(body)
    return Response(content, status, headers=headers, media_type="application/json")


def graph_error(status: int, code: str, message: str, **headers: str) -> Response:
    """Build a Graph error response with its ``innerError``."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    request_id = str(uuid.uuid4())
    inner = {"date": now, "request-id": request_id, "client-request-id": request_id}
    body = {"error": {"code": code, "message": message, "innerError": inner}}
    return _json(body, status, headers=headers or None)


def _skiptoken(offset: int) -> str:
    return "RFNwdAIA" + base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def _offset(token: str) -> int | None:
    try:
        raw = token.removeprefix("RFNwdAIA")
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        return int(text.removeprefix("o:"))
    except ValueError:
        return None


class GraphSimulator:
    """Entra ID and Microsoft Graph for one fake company's tenant."""

    def __init__(self, company: Company) -> None:
        self.company = company
        seed = hashlib.sha256(f"{company.tenant_id}:{company.seed}".encode()).hexdigest()
        self.client_id = str(uuid.UUID(seed[:32], version=4))
        self.client_secret = f"sbx8Q~{seed[32:64]}"
        self.faults = GraphFaults()
        self.users = UserDirectory(company)
        self.tokens: set[str] = set()
        self.scopes: list[str] = []  # scopes asked for at the token endpoint
        self.requests: list[tuple[str, str, str]] = []  # (method, host, path?query)
        self.app = self._build_app()

    def connector_config(self, base_url: str, ca_path: str) -> dict[str, Any]:
        """Return the Microsoft 365 connector config that syncs from this simulator."""
        return {
            "tenant_id": self.company.tenant_id,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "authority_host": base_url,
            "graph_url": base_url,
            "ca_bundle": ca_path,
        }

    def _tenant_known(self, tenant: str) -> bool:
        t = tenant.lower()
        return t in (self.company.tenant_id, self.company.domain, self.company.tenant_onmicrosoft)

    def _build_app(self) -> FastAPI:
        app = FastAPI(title="Microsoft Graph simulator", docs_url=None, redoc_url=None)
        add_fault_routes(app, self.faults)

        @app.post("/_sandbox/sign-ins", include_in_schema=False)
        async def sign_ins(request: Request) -> Response:
            """``{"share": 0.3, "at": "2026-11-26T09:00:00Z"}``: that share of the enabled
            users signs in at ``at`` (default now); answers how many did."""
            try:
                body = await request.json()
                at = datetime.fromisoformat(body.get("at") or datetime.now(UTC).isoformat())
                at = at if at.tzinfo else at.replace(tzinfo=UTC)
                signed = self.users.sign_in(float(body["share"]), at.astimezone(UTC))
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                return _json({"error": f"expected {{'share': 0..1, 'at': ISO time}}: {exc}"}, 400)
            return _json({"signed_in": signed})

        @app.middleware("http")
        async def log(request: Request, call_next: Any) -> Any:
            query = f"?{request.url.query}" if request.url.query else ""
            self.requests.append((request.method, request.url.netloc, request.url.path + query))
            return await call_next(request)

        app.add_api_route("/{tenant}/v2.0/.well-known/openid-configuration", self.discovery)
        app.add_api_route("/{tenant}/oauth2/v2.0/token", self.token, methods=["POST"])
        app.add_api_route("/v1.0/subscribedSkus", self.subscribed_skus)
        app.add_api_route("/v1.0/users", self.list_users)
        return app

    # ------------------------------------------------------------------ Entra ID

    async def discovery(self, tenant: str, request: Request) -> Response:
        """OIDC discovery document of the tenant (https endpoints, as msal needs)."""
        if _fires(self.faults, "discovery_error_times"):
            return Response(
                "<html><body>Service Unavailable</body></html>", self.faults.token_error
            )
        base = str(request.base_url).rstrip("/")
        if not self._tenant_known(tenant):
            text = f"Tenant '{tenant}' not found."
            return _json(self._aad_error("invalid_tenant", 90002, text), 400)
        t = self.company.tenant_id
        return _json(
            {
                "token_endpoint": f"{base}/{t}/oauth2/v2.0/token",
                "authorization_endpoint": f"{base}/{t}/oauth2/v2.0/authorize",
                "issuer": f"{base}/{t}/v2.0",
                "jwks_uri": f"{base}/{t}/discovery/v2.0/keys",
                "response_types_supported": ["code", "id_token", "code id_token"],
                "token_endpoint_auth_methods_supported": ["client_secret_post"],
                "tenant_region_scope": "EU",
            }
        )

    def _aad_error(self, error: str, code: int, text: str) -> dict[str, Any]:
        trace = str(uuid.uuid4())
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        return {
            "error": error,
            "error_description": f"AADSTS{code}: {text} Trace ID: {trace} "
            f"Correlation ID: {trace} Timestamp: {now}",
            "error_codes": [code],
            "timestamp": now,
            "trace_id": trace,
            "correlation_id": trace,
            "error_uri": f"https://login.microsoftonline.com/error?code={code}",
        }

    async def token(self, tenant: str, request: Request) -> Response:
        """Client-credentials grant: checks tenant, client id, secret and scope."""
        form = await request.form()
        f = self.faults
        if _fires(f, "token_error_times"):
            if f.token_error == 429:
                text = "The server is temporarily unavailable (throttled)."
                body = self._aad_error("temporarily_unavailable", 50196, text)
                extra = {"Retry-After": f.retry_after} if f.retry_after is not None else None
                return _json(body, 429, extra)
            return Response("<html><body>Service Unavailable</body></html>", f.token_error)
        if f.token_malformed:
            return Response(b'{"token_type": "Bearer", "expires_in": 35', 200)
        client_id = str(form.get("client_id", ""))
        if not self._tenant_known(tenant):
            return _json(
                self._aad_error("invalid_tenant", 90002, f"Tenant '{tenant}' not found."), 400
            )
        if form.get("grant_type") != "client_credentials":
            return _json(
                self._aad_error("unsupported_grant_type", 70003, "Unsupported grant."), 400
            )
        if client_id != self.client_id:
            text = (
                f"Application with identifier '{client_id}' was not found in the directory "
                f"'{self.company.name}'."
            )
            return _json(self._aad_error("unauthorized_client", 700016, text), 400)
        if form.get("client_secret") != self.client_secret:
            text = (
                "Invalid client secret provided. Ensure the secret being sent in the request "
                "is the client secret value, not the client secret ID, for a secret added to "
                f"app '{self.client_id}'."
            )
            return _json(self._aad_error("invalid_client", 7000215, text), 401)
        scope = str(form.get("scope", ""))
        self.scopes.append(scope)
        if not scope.endswith("/.default"):
            text = f"The provided value '{scope}' for the input parameter 'scope' is not valid."
            return _json(self._aad_error("invalid_scope", 1002012, text), 400)
        access = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9." + secrets.token_urlsafe(32)
        self.tokens.add(access)
        body = {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599}
        return _json({**body, "access_token": access})

    # ------------------------------------------------------------------ Graph

    async def _gate(self, request: Request, page: int) -> Response | None:
        """Apply authentication and faults common to Graph calls; None = go on."""
        f = self.faults
        if f.slow_seconds and (f.slow_page in (0, page)):
            await asyncio.sleep(f.slow_seconds)
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if page and page == f.unauthorized_page and _fires(f, "unauthorized_times"):
            self.tokens.discard(token)
        if not token:
            return graph_error(401, "InvalidAuthenticationToken", "Access token is empty.")
        if token not in self.tokens:
            return graph_error(
                401,
                "InvalidAuthenticationToken",
                "Lifetime validation failed, the token is expired.",
            )
        if _fires(f, "throttle"):
            headers = {"Retry-After": f.retry_after} if f.retry_after is not None else {}
            return graph_error(
                429, "TooManyRequests", "Too many requests from Identifier:app", **headers
            )
        if f.server_error_page in (0, page) and _fires(f, "server_error_times"):
            code = "serviceNotAvailable" if f.server_error == 503 else "generalException"
            return graph_error(f.server_error, code, "The service is temporarily unavailable.")
        return None

    def _denied(self) -> Response:
        return graph_error(
            403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
        )

    async def subscribed_skus(self, request: Request) -> Response:
        """``GET /v1.0/subscribedSkus``."""
        if (refused := await self._gate(request, 0)) is not None:
            return refused
        if self.faults.missing_permission in ("Organization.Read.All", "Directory.Read.All"):
            return self._denied()
        base = str(request.base_url).rstrip("/")
        return _json(
            {
                "@odata.context": f"{base}/v1.0/$metadata#subscribedSkus",
                "value": subscribed_skus_json(self.company),
            }
        )

    async def list_users(self, request: Request) -> Response:
        """``GET /v1.0/users`` with ``$select``, ``$top`` and ``$skiptoken``."""
        q = request.query_params
        raw_select = q.get("$select")
        raw_top = q.get("$top", "100")
        try:
            top = int(raw_top)
        except ValueError:
            top = 0
        offset = _offset(q["$skiptoken"]) if "$skiptoken" in q else 0
        size = min(top, self.faults.page_size_cap or top)  # Graph may send fewer than $top
        page = (offset or 0) // max(size, 1) + 1
        if (refused := await self._gate(request, page)) is not None:
            return refused
        if not 1 <= top <= 999:
            return graph_error(
                400,
                "Request_UnsupportedQuery",
                f"Invalid page size specified: '{raw_top}'. Must be between 1 and 999 inclusive.",
            )
        if offset is None:
            return graph_error(400, "Directory_ExpiredPageToken", "The page token is invalid.")
        select: list[str] = []
        for name in raw_select.split(",") if raw_select else DEFAULT_USER_SELECT:
            canonical = USER_PROPERTY_CASE.get(name.strip().lower())
            if canonical is None:
                return graph_error(
                    400,
                    "Request_BadRequest",
                    f"Could not find a property named '{name}' on type "
                    "'Microsoft.DirectoryServices.User'.",
                )
            select.append(canonical)
        f = self.faults
        if f.missing_permission in ("User.Read.All", "Directory.Read.All"):
            return self._denied()
        if "signInActivity" in select:
            if f.no_premium:
                return graph_error(
                    403,
                    "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
                    "Neither tenant is B2C or tenant doesn't have premium license",
                )
            if f.missing_permission == "AuditLog.Read.All":
                return self._denied()
        base = str(request.base_url).rstrip("/")
        context = f"{base}/v1.0/$metadata#users({','.join(select)})"
        head: dict[str, Any] = {"@odata.context": context}
        if offset + size < len(self.users):
            sel = f"$select={quote(raw_select, safe=',')}&" if raw_select else ""
            head["@odata.nextLink"] = (
                f"{f.next_link_base or base}/v1.0/users?{sel}$top={top}"
                f"&$skiptoken={_skiptoken(offset + size)}"
            )
        # {"@odata.context":…,"@odata.nextLink":…,"value":[…]} without re-encoding users
        encoded_head = orjson.dumps(head)
        users = self.users.page_json(offset, size, tuple(select))
        content = encoded_head[:-1] + b',"value":' + users + b"}"
        if page == f.malformed_page:
            content = content[: len(content) // 2]
        if page == f.cut_off_page:  # the connection drops mid-answer: the server hangs up
            declared = {"content-length": str(len(content))}
            return Response(content[: len(content) // 2], 200, declared, "application/json")
        return Response(content, 200, media_type="application/json")
