"""A hand-written Google OAuth token endpoint, Directory API and Licence Manager.

The token endpoint checks the jwt-bearer assertion's signature and claims (with the
audience Google always uses); the APIs page with ``nextPageToken`` and enforce the
documented ``maxResults`` caps and the ``customerId`` the Licence Manager requires.
"""

from __future__ import annotations

import base64
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.acceptance.company import google_users, licence_items

CLIENT_EMAIL = "seatwise@acme-project.iam.gserviceaccount.com"
SUBJECT = "admin@example.com"
DOMAIN = "example.com"
GOOGLE_AUD = "https://oauth2.googleapis.com/token"
DIRECTORY_SCOPE = "https://www.googleapis.com/auth/admin.directory.user.readonly"
LICENSING_SCOPE = "https://www.googleapis.com/auth/apps.licensing"
USERS_PAGE = 4
LICENCES_PAGE = 3


def make_key() -> tuple[str, rsa.RSAPublicKey]:
    """A fresh RSA private key (PKCS#8 PEM, as in Google's JSON keys) and its public key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return pem, key.public_key()


def service_account_key(private_key: str, token_uri: str) -> dict[str, str]:
    """A service-account JSON key shaped like the one the Cloud console downloads."""
    return {
        "type": "service_account",
        "project_id": "acme-project",
        "private_key_id": "0f1e2d3c4b5a69788796a5b4c3d2e1f0a1b2c3d4",
        "private_key": private_key,
        "client_email": CLIENT_EMAIL,
        "client_id": "109876543210987654321",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/seatwise",
        "universe_domain": "googleapis.com",
    }


@dataclass
class GoogleState:
    """Data, issued tokens with their scopes, and what the server saw."""

    public_key: Any
    users: list[dict[str, Any]] = field(default_factory=google_users)
    items: list[dict[str, Any]] = field(default_factory=licence_items)
    tokens: dict[str, set[str]] = field(default_factory=dict)
    assertions: list[dict[str, Any]] = field(default_factory=list)
    queries: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    rate_limited: int = 0  # how many directory calls answer 403 userRateLimitExceeded
    counter: Any = field(default_factory=itertools.count)

    def reset(self) -> None:
        """Back to the original data."""
        self.users = google_users()
        self.items = licence_items()
        self.queries.clear()
        self.rate_limited = 0


def _page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def _offset(token: str | None) -> int:
    if not token:
        return 0
    padded = token + "=" * (-len(token) % 4)
    return int(json.loads(base64.urlsafe_b64decode(padded))["o"])


def _error(status: int, message: str, reason: str, status_text: str) -> JSONResponse:
    return JSONResponse(
        {
            "error": {
                "code": status,
                "message": message,
                "errors": [{"message": message, "domain": "global", "reason": reason}],
                "status": status_text,
            }
        },
        status_code=status,
    )


def google_app(state: GoogleState) -> Starlette:
    """Token endpoint, Directory users.list and Licence Manager listForProduct[AndSku]."""

    async def token(request: Request) -> Response:
        form = await request.form()
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        try:
            claims = jwt.decode(
                str(form.get("assertion")),
                state.public_key,
                algorithms=["RS256"],
                audience=GOOGLE_AUD,
            )
        except jwt.PyJWTError as exc:
            return JSONResponse(
                {"error": "invalid_grant", "error_description": f"Invalid JWT: {exc}"},
                status_code=400,
            )
        state.assertions.append(claims)
        if claims.get("iss") != CLIENT_EMAIL:
            return JSONResponse(
                {"error": "invalid_grant", "error_description": "Invalid JWT Signature."},
                status_code=400,
            )
        if claims.get("sub") != SUBJECT:
            return JSONResponse(
                {
                    "error": "unauthorized_client",
                    "error_description": "Client is unauthorized to retrieve access tokens "
                    "using this method, or client not authorized for any of the scopes "
                    "requested.",
                },
                status_code=401,
            )
        access = f"ya29.acceptance-{next(state.counter)}"
        state.tokens[access] = set(str(claims.get("scope", "")).split())
        return JSONResponse({"access_token": access, "expires_in": 3599, "token_type": "Bearer"})

    def scopes_of(request: Request) -> set[str] | None:
        header = request.headers.get("authorization", "")
        return state.tokens.get(header.removeprefix("Bearer "))

    async def users(request: Request) -> Response:
        query = dict(request.query_params)
        state.queries.append(("users", query))
        if state.rate_limited > 0:
            state.rate_limited -= 1
            return _error(
                403,
                "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user'",
                "userRateLimitExceeded",
                "PERMISSION_DENIED",
            )
        scopes = scopes_of(request)
        if scopes is None:
            return _error(401, "Login Required.", "required", "UNAUTHENTICATED")
        if (
            DIRECTORY_SCOPE not in scopes
            and DIRECTORY_SCOPE.removesuffix(".readonly") not in scopes
        ):
            return _error(
                403, "Not Authorized to access this resource/api", "forbidden", "PERMISSION_DENIED"
            )
        if (
            query.get("customer") not in ("my_customer", "C03az79cb")
            and query.get("domain") != DOMAIN
        ):
            return _error(400, "Bad Request", "badRequest", "INVALID_ARGUMENT")
        size = int(query.get("maxResults", "100"))
        if not 1 <= size <= 500:
            return _error(400, "Invalid Input: maxResults", "invalid", "INVALID_ARGUMENT")
        start = _offset(query.get("pageToken"))
        stop = start + min(size, USERS_PAGE)
        body: dict[str, Any] = {
            "kind": "admin#directory#users",
            "etag": '"u"',
            "users": state.users[start:stop],
        }
        if stop < len(state.users):
            body["nextPageToken"] = _page_token(stop)
        return JSONResponse(body)

    async def licences(request: Request) -> Response:
        query = dict(request.query_params)
        product = request.path_params["product"]
        sku = request.path_params.get("sku")
        state.queries.append((f"licences:{product}:{sku}", query))
        scopes = scopes_of(request)
        if scopes is None:
            return _error(401, "Login Required.", "required", "UNAUTHENTICATED")
        if LICENSING_SCOPE not in scopes:
            return _error(
                403, "Not Authorized to access this resource/api", "forbidden", "PERMISSION_DENIED"
            )
        if query.get("customerId") != DOMAIN:
            return _error(400, "Invalid customerId", "invalid", "INVALID_ARGUMENT")
        size = int(query.get("maxResults", "100"))
        if not 1 <= size <= 1000:
            return _error(400, "Invalid Input: maxResults", "invalid", "INVALID_ARGUMENT")
        matching = [
            i
            for i in state.items
            if i["productId"] == product and (sku is None or i["skuId"] == sku)
        ]
        start = _offset(query.get("pageToken"))
        stop = start + min(size, LICENCES_PAGE)
        body: dict[str, Any] = {"kind": "licensing#licenseAssignmentList", "etag": '"l"'}
        if matching:  # Google leaves ``items`` out when a product has no licences
            body["items"] = matching[start:stop]
        if stop < len(matching):
            body["nextPageToken"] = _page_token(stop)
        return JSONResponse(body)

    return Starlette(
        routes=[
            Route("/token", token, methods=["POST"]),
            Route("/admin/directory/v1/users", users),
            Route("/apps/licensing/v1/product/{product}/users", licences),
            Route("/apps/licensing/v1/product/{product}/sku/{sku}/users", licences),
        ]
    )
