"""A Google Workspace simulator: token endpoint, Directory users.list, Licence Manager.

Serves the seeded company's Google view the way Google does (see VENDOR_APIS.md §2):
jwt-bearer tokens for a service account with domain-wide delegation, ``maxResults``
caps of 500 (Directory) and 1000 (Licence Manager), ``nextPageToken`` paging, Google's
error bodies, and fault switches for throttling, outages and missing delegation.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from connectors.sandbox.company_model import Company, Person
from connectors.sandbox.fault_switches import add_fault_routes, take_one
from connectors.sandbox.google_tokens import JWT_BEARER, ServiceAccount, TokenRefused

DIRECTORY_READ = "https://www.googleapis.com/auth/admin.directory.user.readonly"
DIRECTORY_WRITE = "https://www.googleapis.com/auth/admin.directory.user"
LICENSING = "https://www.googleapis.com/auth/apps.licensing"
REPORTS = "https://www.googleapis.com/auth/admin.reports.usage.readonly"
ALL_SCOPES = (DIRECTORY_READ, DIRECTORY_WRITE, LICENSING, REPORTS)
NEVER = "1970-01-01T00:00:00.000Z"

SKU_NAMES = {
    "1010020027": "Google Workspace Business Starter",
    "1010020028": "Google Workspace Business Standard",
    "1010020025": "Google Workspace Business Plus",
    "1010020020": "Google Workspace Enterprise Plus",
}
_UNAUTHORIZED_CLIENT = (
    "Client is unauthorized to retrieve access tokens using this method, or client not "
    "authorized for any of the scopes requested."
)


@dataclass
class GoogleFaults:
    """Fault switches; counters fire on that many of the next API calls, then stop."""

    rate_limit_403: int = 0
    """Answer 403 ``userRateLimitExceeded`` (Google's usual throttle)."""
    rate_limit_429: int = 0
    """Answer 429 ``rateLimitExceeded``."""
    retry_after: int | None = None
    """Send this ``Retry-After`` (seconds) with each 429."""
    server_errors: int = 0
    """Answer 503 ``backendError``."""
    malformed: int = 0
    """Answer 200 with a body that is not JSON."""
    granted_scopes: list[str] | None = None
    """Scopes domain-wide delegation authorises; None means all of them."""
    key_disabled: bool = False
    """The service account key was deleted: every token request gets invalid_grant."""
    page_size: int | None = None
    """Return at most this many items a page (Google may return fewer than maxResults)."""


class GoogleSimulator:
    """Google Workspace's admin APIs over one seeded company."""

    def __init__(self, company: Company) -> None:
        self.company = company
        digest = hashlib.sha256(f"{company.seed}:{company.domain}".encode()).hexdigest()
        self.customer_id = "C0" + digest[:7]
        self.account = ServiceAccount(
            project_id=f"seatwise-{company.domain.split('.')[0]}",
            client_id=str(int(digest[8:24], 16))[:21],
        )
        self.users = [p for p in company.persons if p.google is not None]
        self.admins = _admins(self.users)
        self.faults = GoogleFaults()
        self.requests: deque[tuple[str, dict[str, str]]] = deque(maxlen=2000)
        self.app = FastAPI(title="Google Workspace sandbox", docs_url=None, redoc_url=None)
        add_fault_routes(self.app, self.faults)
        self._routes()

    @property
    def admin_email(self) -> str:
        """The admin the connector impersonates."""
        return self.admins[0]

    def connector_config(self, base_url: str, ca_path: str) -> dict[str, Any]:
        """Return the connector config that syncs against this simulator at ``base_url``."""
        base = base_url.rstrip("/")
        return {
            "service_account_key": self.account.key_json(base + "/token"),
            "subject": self.admin_email,
            "domain": self.company.domain,
            "directory_url": base + "/",
            "licensing_url": base + "/",
            "ca_bundle": ca_path,
        }

    # ------------------------------------------------------------------ routes

    def _routes(self) -> None:
        app = self.app

        @app.post("/token")
        async def token(request: Request) -> JSONResponse:
            form = await request.form()
            try:
                body = self._token(str(form.get("grant_type", "")), str(form.get("assertion", "")))
            except TokenRefused as refused:
                return JSONResponse(refused.body(), status_code=refused.status)
            return JSONResponse(body)

        @app.get("/admin/directory/v1/users")
        def users(request: Request) -> Response:
            return self._guarded(request, (DIRECTORY_READ, DIRECTORY_WRITE), self._users)

        @app.get("/apps/licensing/v1/product/{product_id}/users")
        def product_licences(request: Request, product_id: str) -> Response:
            return self._guarded(
                request, (LICENSING,), lambda q: self._licences(q, product_id, None)
            )

        @app.get("/apps/licensing/v1/product/{product_id}/sku/{sku_id}/users")
        def sku_licences(request: Request, product_id: str, sku_id: str) -> Response:
            return self._guarded(
                request, (LICENSING,), lambda q: self._licences(q, product_id, sku_id)
            )

    def _token(self, grant_type: str, assertion: str) -> dict[str, Any]:
        if grant_type != JWT_BEARER:
            raise TokenRefused(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")
        if self.faults.key_disabled:
            raise TokenRefused(400, "invalid_grant", "Invalid JWT Signature.")
        claims = self.account.verify_assertion(assertion)
        subject = str(claims.get("sub", "")).lower()
        scopes = frozenset(str(claims.get("scope", "")).split())
        if not scopes:
            raise TokenRefused(400, "invalid_scope", "Empty or missing scope not allowed.")
        granted = set(self.faults.granted_scopes or ALL_SCOPES)
        if subject not in self.admins or not scopes <= granted:
            raise TokenRefused(401, "unauthorized_client", _UNAUTHORIZED_CLIENT)
        return self.account.issue(subject, scopes)

    def _guarded(self, request: Request, scopes: tuple[str, ...], handler: Any) -> Response:
        """Check the bearer token and scopes, fire faults, then run ``handler``."""
        query = dict(request.query_params)
        self.requests.append((request.url.path, query))
        grant = self.account.grant_for(request.headers.get("authorization"))
        if grant is None:
            return _error(
                401,
                "Request had invalid authentication credentials. Expected OAuth 2 access "
                "token, login cookie or other valid authentication credential.",
                "authError",
                "global",
                "UNAUTHENTICATED",
            )
        if not grant.scopes & set(scopes):
            return _error(
                403,
                "Request had insufficient authentication scopes.",
                "insufficientPermissions",
                "global",
                "PERMISSION_DENIED",
            )
        fault = self._fault()
        if fault is not None:
            return fault
        result: Response = handler(query)
        return result

    def _fault(self) -> Response | None:
        if take_one(self.faults, "rate_limit_403"):
            return _error(
                403,
                "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per "
                "user' of service 'admin.googleapis.com'.",
                "userRateLimitExceeded",
                "usageLimits",
                "PERMISSION_DENIED",
            )
        if take_one(self.faults, "rate_limit_429"):
            answer = _error(429, "Rate Limit Exceeded", "rateLimitExceeded", "usageLimits", None)
            if self.faults.retry_after is not None:
                answer.headers["Retry-After"] = str(self.faults.retry_after)
            return answer
        if take_one(self.faults, "server_errors"):
            return _error(503, "Backend Error", "backendError", "global", "UNAVAILABLE")
        if take_one(self.faults, "malformed"):
            return PlainTextResponse("<html><body>502 Bad Gateway</body></html>", 200)
        return None

    # ------------------------------------------------------------------ handlers

    def _users(self, query: dict[str, str]) -> Response:
        customer, domain = query.get("customer"), query.get("domain")
        if not customer and not domain:
            return _error(400, "Bad Request", "badRequest", "global", "INVALID_ARGUMENT")
        if customer and customer not in ("my_customer", self.customer_id):
            return _error(400, "Bad Request", "badRequest", "global", "INVALID_ARGUMENT")
        if domain and domain.lower() != self.company.domain:
            return _error(400, "Domain not found.", "notFound", "global", "INVALID_ARGUMENT")
        page = _page(query, self.users, cap=500, page_size=self.faults.page_size)
        if isinstance(page, Response):
            return page
        items, token = page
        body: dict[str, Any] = {
            "kind": "admin#directory#users",
            "etag": '"sandbox"',
            "users": [self._user(p) for p in items],
        }
        if token:
            body["nextPageToken"] = token
        return JSONResponse(body)

    def _licences(self, query: dict[str, str], product_id: str, sku_id: str | None) -> Response:
        customer = query.get("customerId")
        if not customer:
            return _error(400, "Required parameter: customerId", "required", "global", None)
        if customer.lower() not in (self.company.domain, self.customer_id.lower()):
            return _error(400, "Invalid customerId", "invalid", "global", "INVALID_ARGUMENT")
        holders = [
            p
            for p in self.users
            if product_id == "Google-Apps"
            and p.google is not None
            and p.google.sku_id is not None
            and sku_id in (None, p.google.sku_id)
        ]
        page = _page(query, holders, cap=1000, page_size=self.faults.page_size)
        if isinstance(page, Response):
            return page
        items, token = page
        body: dict[str, Any] = {
            "kind": "licensing#licenseAssignmentList",
            "etag": '"sandbox"',
            "items": [self._licence(p, product_id) for p in items],
        }
        if token:
            body["nextPageToken"] = token
        return JSONResponse(body)

    def _user(self, p: Person) -> dict[str, Any]:
        g = p.google
        assert g is not None
        user: dict[str, Any] = {
            "kind": "admin#directory#user",
            "id": g.user_id,
            "etag": f'"{g.user_id}"',
            "primaryEmail": g.primary_email,
            "name": {
                "givenName": p.given_name,
                "familyName": p.family_name,
                "fullName": p.display_name,
            },
            "isAdmin": g.primary_email.lower() in self.admins,
            "isDelegatedAdmin": False,
            "lastLoginTime": _stamp(g.last_login) if g.last_login else NEVER,
            "creationTime": _stamp(g.created),
            "agreedToTerms": g.last_login is not None,
            "suspended": g.suspended,
            "archived": g.archived,
            "changePasswordAtNextLogin": False,
            "ipWhitelisted": False,
            "emails": [{"address": g.primary_email, "primary": True}],
            "customerId": self.customer_id,
            "orgUnitPath": g.org_unit,
            "isMailboxSetup": True,
            "isEnrolledIn2Sv": not g.suspended,
            "isEnforcedIn2Sv": False,
            "includeInGlobalAddressList": True,
        }
        # Every eighth user (by id, not by the company's random draws) has an alias.
        if zlib.crc32(g.user_id.encode()) % 8 == 0:
            local, _, domain = g.primary_email.partition("@")
            user["aliases"] = [f"{local}.alias@{domain}"]
        if g.suspended:
            user["suspensionReason"] = "ADMIN"
        if p.department and g.org_unit != "/Contractors":
            user["organizations"] = [
                {"title": p.title, "primary": True, "department": p.department}
            ]
        return user

    def _licence(self, p: Person, product_id: str) -> dict[str, Any]:
        g = p.google
        assert g is not None and g.sku_id is not None
        # Licences name the user by the canonical address, whatever the Directory's casing.
        return {
            "kind": "licensing#licenseAssignment",
            "etags": f'"{g.user_id}-{g.sku_id}"',
            "productId": product_id,
            "productName": "Google Workspace",
            "skuId": g.sku_id,
            "skuName": SKU_NAMES.get(g.sku_id, f"Google Workspace SKU {g.sku_id}"),
            "userId": p.email.lower(),
            "selfLink": f"/apps/licensing/v1/product/{product_id}/sku/{g.sku_id}/user/{p.email}",
        }


def _admins(users: list[Person]) -> list[str]:
    """Lower-cased e-mails of super admins; a workspace always has one.

    Small seeded companies may have no Google user flagged admin, so the first active IT
    person (else the first active user) stands in, deterministically.
    """
    active = [p for p in users if p.google and not (p.google.suspended or p.google.archived)]
    flagged = [p for p in active if p.google and p.google.is_admin]
    if not flagged:
        it = [p for p in active if p.department == "IT"]
        flagged = (it or active or users)[:1]
    return [p.google.primary_email.lower() for p in flagged if p.google]


def _page(
    query: dict[str, str], items: list[Person], *, cap: int, page_size: int | None
) -> tuple[list[Person], str | None] | Response:
    """Slice ``items`` by ``maxResults``/``pageToken``; an error response on bad values."""
    try:
        size = int(query.get("maxResults", "100"))
    except ValueError:
        size = 0
    if not 1 <= size <= cap:
        return _error(
            400,
            f"Invalid value '{query.get('maxResults')}'. Values must be within the range: "
            f"[1, {cap}]",
            "invalid",
            "global",
            "INVALID_ARGUMENT",
        )
    if page_size:
        size = min(size, page_size)
    offset = 0
    token = query.get("pageToken")
    if token:
        try:
            offset = int(base64.urlsafe_b64decode(token.encode()).decode().removeprefix("o:"))
        except ValueError:
            return _error(400, "Invalid page token", "invalid", "global", "INVALID_ARGUMENT")
    chunk = items[offset : offset + size]
    end = offset + size
    next_token = (
        base64.urlsafe_b64encode(f"o:{end}".encode()).decode() if end < len(items) else None
    )
    return chunk, next_token


def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _error(status: int, message: str, reason: str, domain: str, state: str | None) -> Response:
    error: dict[str, Any] = {
        "code": status,
        "message": message,
        "errors": [{"message": message, "domain": domain, "reason": reason}],
    }
    if state:
        error["status"] = state
    return JSONResponse({"error": error}, status_code=status)
