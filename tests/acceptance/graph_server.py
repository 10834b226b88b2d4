"""A hand-written Microsoft identity platform + Graph v1.0 server (two apps, one state).

Written from the documented wire format, not from the project's sandbox: OIDC
discovery advertising https endpoints, client-credentials token POST, subscribedSkus,
and users paged by absolute ``@odata.nextLink`` with an opaque ``$skiptoken``.
"""

from __future__ import annotations

import base64
import itertools
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.acceptance.company import GRAPH_SKUS, graph_users

TENANT = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
NO_P1_TENANT = "contoso-nop1.onmicrosoft.com"
CLIENT_ID = "11111111-2222-4333-8444-555555555555"
CLIENT_SECRET = "s3cr3t~Value.With-Odd_chars"
PAGE_SIZE = 5
REQUIRED_SELECT = {
    "id",
    "displayName",
    "userPrincipalName",
    "mail",
    "accountEnabled",
    "userType",
    "department",
    "createdDateTime",
    "assignedLicenses",
    "signInActivity",
}


@dataclass
class GraphState:
    """The tenant's data, the fault switches, and what the server saw."""

    users: list[dict[str, Any]] = field(default_factory=graph_users)
    skus: list[dict[str, Any]] = field(default_factory=lambda: [dict(s) for s in GRAPH_SKUS])
    tokens: dict[str, str] = field(default_factory=dict)
    token_requests: int = 0
    user_queries: list[dict[str, str]] = field(default_factory=list)
    throttle: dict[int, int] = field(default_factory=dict)
    throttle_times: list[float] = field(default_factory=list)
    retry_after: str = "1"
    fail_page: int | None = None
    unauthorized: dict[int, int] = field(default_factory=dict)
    malformed_page: int | None = None
    counter: Any = field(default_factory=itertools.count)

    def reset(self) -> None:
        """Back to a healthy tenant with the original data."""
        fresh = GraphState()
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(fresh, name))


def _error(status: int, code: str, message: str, **headers: str) -> JSONResponse:
    body = {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": "2026-11-25T10:00:00",
                "request-id": "r-1",
                "client-request-id": "c-1",
            },
        }
    }
    return JSONResponse(body, status_code=status, headers=headers)


def login_app(state: GraphState) -> Starlette:
    """The identity platform: OIDC discovery and the token endpoint."""

    async def discovery(request: Request) -> Response:
        tenant = request.path_params["tenant"]
        if tenant not in (TENANT, NO_P1_TENANT):
            return JSONResponse(
                {
                    "error": "invalid_tenant",
                    "error_description": f"AADSTS90002: Tenant '{tenant}' not found.",
                },
                status_code=400,
            )
        base = str(request.base_url).rstrip("/")
        return JSONResponse(
            {
                "token_endpoint": f"{base}/{tenant}/oauth2/v2.0/token",
                "authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/authorize",
                "issuer": f"https://login.microsoftonline.com/{tenant}/v2.0",
                "jwks_uri": f"{base}/{tenant}/discovery/v2.0/keys",
                "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "tenant_region_scope": "EU",
            }
        )

    async def token(request: Request) -> Response:
        state.token_requests += 1
        tenant = request.path_params["tenant"]
        form = await request.form()
        if form.get("grant_type") != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        if form.get("scope") != "https://graph.microsoft.com/.default":
            return JSONResponse(
                {
                    "error": "invalid_scope",
                    "error_description": f"AADSTS70011: bad scope {form.get('scope')!r}",
                },
                status_code=400,
            )
        if form.get("client_id") != CLIENT_ID:
            return JSONResponse(
                {
                    "error": "unauthorized_client",
                    "error_description": "AADSTS700016: Application not found in the directory.",
                },
                status_code=400,
            )
        if form.get("client_secret") != CLIENT_SECRET:
            return JSONResponse(
                {
                    "error": "invalid_client",
                    "error_description": "AADSTS7000215: Invalid client secret provided. "
                    "Ensure the secret being sent in the request is the client secret value, "
                    "not the client secret ID.",
                },
                status_code=401,
            )
        access = f"eyJ0eXAi.{tenant}.{next(state.counter)}"
        state.tokens[access] = tenant
        return JSONResponse(
            {
                "token_type": "Bearer",
                "expires_in": 3599,
                "ext_expires_in": 3599,
                "access_token": access,
            }
        )

    return Starlette(
        routes=[
            Route("/{tenant}/v2.0/.well-known/openid-configuration", discovery),
            Route("/{tenant}/oauth2/v2.0/token", token, methods=["POST"]),
        ]
    )


def _skiptoken(page: int) -> str:
    return "RFNwdAIAAQAAAD8" + base64.urlsafe_b64encode(f"page:{page}".encode()).decode()


def _page_of(token: str) -> int:
    return int(base64.urlsafe_b64decode(token.removeprefix("RFNwdAIAAQAAAD8")).split(b":")[1])


def graph_app(state: GraphState) -> Starlette:
    """Graph v1.0: subscribedSkus and users."""

    def tenant_of(request: Request) -> str | None:
        header = request.headers.get("authorization", "")
        return (
            state.tokens.get(header.removeprefix("Bearer "))
            if header.startswith("Bearer ")
            else None
        )

    async def skus(request: Request) -> Response:
        if tenant_of(request) is None:
            return _error(401, "InvalidAuthenticationToken", "Access token is empty.")
        return JSONResponse(
            {
                "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#subscribedSkus",
                "value": state.skus,
            }
        )

    async def users(request: Request) -> Response:
        query = dict(request.query_params)
        page = _page_of(query["$skiptoken"]) if "$skiptoken" in query else 1
        state.user_queries.append({**query, "page": str(page)})
        tenant = tenant_of(request)
        if state.unauthorized.get(page, 0) > 0:
            state.unauthorized[page] -= 1
            tenant = None
        if tenant is None:
            return _error(
                401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid."
            )
        select = set(query.get("$select", "").split(","))
        if tenant == NO_P1_TENANT and "signInActivity" in select:
            return _error(
                403,
                "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
                "Neither tenant is B2C or tenant doesn't have premium license",
            )
        top = int(query.get("$top", "100"))
        if not 1 <= top <= 999:
            return _error(
                400,
                "Request_UnsupportedQuery",
                f"Invalid page size specified: '{top}'. Must be between 1 and 999 inclusive.",
            )
        if state.throttle.get(page, 0) > 0:
            state.throttle[page] -= 1
            state.throttle_times.append(time.monotonic())
            return _error(
                429,
                "TooManyRequests",
                "Too many requests from Identifier:x",
                **{"Retry-After": state.retry_after},
            )
        if state.fail_page == page:
            return _error(500, "InternalServerError", "Something went wrong.")
        if state.malformed_page == page:
            return Response('{"value": [{"id": "6ea91a8d-', media_type="application/json")
        rows = state.users[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        fields = select - {""} or {"id", "displayName", "userPrincipalName", "mail"}
        body: dict[str, Any] = {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users",
            "value": [{k: v for k, v in u.items() if k in fields} for u in rows],
        }
        if page * PAGE_SIZE < len(state.users):
            base = str(request.base_url).rstrip("/")
            keep = {k: v for k, v in query.items() if k in ("$select", "$top")}
            keep["$skiptoken"] = _skiptoken(page + 1)
            body["@odata.nextLink"] = f"{base}/v1.0/users?{urlencode(keep, safe='$,')}"
        return JSONResponse(body)

    return Starlette(
        routes=[
            Route("/v1.0/subscribedSkus", skus),
            Route("/v1.0/users", users),
        ]
    )
