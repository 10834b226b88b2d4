"""A Slack Web API simulator: auth.test, users.list, team.billableInfo, team.accessLogs.

Serves the seeded company's Slack view the way Slack does (see VENDOR_APIS.md §3):
HTTP 200 with an ``ok``/``error`` envelope, GET query or POST form arguments, cursor
paging for members, classic ``count``/``page`` paging (or a cursor when ``limit`` is
sent) for access logs, and fault switches for 429 + ``Retry-After``, ``paid_only``,
revoked tokens and missing scopes.
"""

from __future__ import annotations

import base64
import hashlib
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from connectors.sandbox.company_model import Company, Person
from connectors.sandbox.fault_switches import add_fault_routes, take_one

_USER_AGENTS = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Slack/4.41",
    "SlackWeb Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/129.0",
    "com.tinyspeck.chatlyio/24.10.10 (iPhone; iOS 18.1; Scale/3.00)",
)


@dataclass
class SlackFaults:
    """Fault switches; counters fire on that many of the next method calls, then stop."""

    ratelimited: int = 0
    """Answer HTTP 429 ``ratelimited`` with ``Retry-After``."""
    retry_after: int = 1
    """Seconds sent in ``Retry-After``."""
    server_errors: int = 0
    """Answer HTTP 503."""
    malformed: int = 0
    """Answer HTTP 200 with a body that is not JSON."""
    truncated: int = 0
    """Answer HTTP 200 ``application/json`` whose JSON breaks off (a cut connection)."""
    invalid_auth: bool = False
    """The token was revoked: every method answers ``invalid_auth``."""
    paid_only: bool = False
    """A free workspace: team.accessLogs answers ``paid_only``."""
    missing_scopes: list[str] = field(default_factory=list)
    """Scopes the token lacks; ``users:read.email`` hides e-mails, ``admin`` refuses."""
    no_auth_test: bool = False
    """Offer only the documented methods: auth.test answers ``unknown_method``."""
    unlisted_billed: int = 0
    """users.list leaves out this many billed members (team.billableInfo still bills them)."""
    max_log_count: int = 1000
    """Largest ``count`` team.accessLogs honours (smaller values force paging)."""
    max_log_page: int = 100
    """Pages beyond this answer ``over_pagination_limit``."""


class SlackSimulator:
    """One Slack workspace of the seeded company."""

    def __init__(self, company: Company) -> None:
        self.company = company
        digest = hashlib.sha256(f"slack:{company.seed}:{company.domain}".encode()).hexdigest()
        self.team_id = "T0" + digest[:8].upper()
        self.team_name = company.name
        self.token = "xoxp-" + "-".join((str(int(digest[8:18], 16)), digest[18:50]))
        self.members = [p for p in company.persons if p.slack is not None]
        humans = [p for p in self.members if p.slack and not p.slack.is_bot]
        owner = next((p for p in humans if p.title == "Chief Executive Officer"), None)
        self.owner = owner or next((p for p in humans if p.slack and p.slack.is_admin), humans[0])
        self.faults = SlackFaults()
        self.requests: deque[tuple[str, dict[str, str]]] = deque(maxlen=2000)
        self.app = FastAPI(title="Slack sandbox", docs_url=None, redoc_url=None)
        add_fault_routes(self.app, self.faults)
        self.app.add_api_route("/api/{method}", self._dispatch, methods=["GET", "POST"])

    def connector_config(self, base_url: str, ca_path: str) -> dict[str, Any]:
        """Return the connector config that syncs against this simulator at ``base_url``."""
        return {
            "token": self.token,
            "api_url": base_url.rstrip("/") + "/api/",
            "ca_bundle": ca_path,
        }

    # ------------------------------------------------------------------ dispatch

    async def _dispatch(self, method: str, request: Request) -> Response:
        args = dict(request.query_params)
        if request.method == "POST":
            form = await request.form()
            args.update({k: str(v) for k, v in form.items()})
        self.requests.append((method, args))
        handler = {
            "auth.test": self._auth_test,
            "users.list": self._users_list,
            "team.billableInfo": self._billable_info,
            "team.accessLogs": self._access_logs,
        }.get(method)
        if handler is None or (method == "auth.test" and self.faults.no_auth_test):
            return _fail("unknown_method")
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else args.get("token")
        if not token:
            return _fail("not_authed")
        if token != self.token or self.faults.invalid_auth:
            return _fail("invalid_auth")
        if take_one(self.faults, "ratelimited"):
            return JSONResponse(
                {"ok": False, "error": "ratelimited"},
                status_code=429,
                headers={"Retry-After": str(self.faults.retry_after)},
            )
        if take_one(self.faults, "server_errors"):
            return PlainTextResponse("upstream connect error", status_code=503)
        if take_one(self.faults, "malformed"):
            return PlainTextResponse("<html><body>Slack is down for maintenance</body></html>")
        if take_one(self.faults, "truncated"):
            return Response('{"ok": true, "members": [', media_type="application/json")
        return handler(args)

    def _lacks(self, scope: str) -> Response | None:
        if scope in self.faults.missing_scopes:
            granted = ["users:read", "users:read.email", "admin"]
            provided = ",".join(s for s in granted if s not in self.faults.missing_scopes)
            return _fail("missing_scope", needed=scope, provided=provided)
        return None

    # ------------------------------------------------------------------ methods

    def _auth_test(self, args: dict[str, str]) -> Response:
        slack = self.owner.slack
        assert slack is not None
        return _ok(
            url=f"https://{self.company.domain.split('.')[0]}.slack.com/",
            team=self.team_name,
            user=slack.username,
            team_id=self.team_id,
            user_id=slack.user_id,
            is_enterprise_install=False,
        )

    def _users_list(self, args: dict[str, str]) -> Response:
        refused = self._lacks("users:read")
        if refused is not None:
            return refused
        billed = [p for p in self.members if p.slack and p.slack.billing_active]
        hidden = {id(p) for p in billed[: self.faults.unlisted_billed]}
        listed = [p for p in self.members if id(p) not in hidden]
        everyone = [self._slackbot(), *(self._member(p) for p in listed)]
        try:
            limit = int(args.get("limit") or 0)
        except ValueError:
            return _fail("invalid_arguments")
        if limit <= 0:
            if len(everyone) > 500:
                return _fail("limit_required")
            limit = len(everyone)
        start = 0
        if args.get("cursor"):
            start = _decode_cursor(args["cursor"], "user:")
            if start < 0:
                return _fail("invalid_cursor")
        end = start + min(limit, 1000)
        cursor = _encode_cursor("user:", end) if end < len(everyone) else ""
        return _ok(
            members=everyone[start:end],
            cache_ts=int(datetime.combine(self.company.today, time(), UTC).timestamp()),
            response_metadata={"next_cursor": cursor},
        )

    def _billable_info(self, args: dict[str, str]) -> Response:
        refused = self._lacks("admin")
        if refused is not None:
            return refused
        humans = [p for p in self.members if p.slack and not p.slack.is_bot]
        if args.get("user"):
            humans = [p for p in humans if p.slack and p.slack.user_id == args["user"]]
            if not humans:
                return _fail("user_not_found")
        info = {
            p.slack.user_id: {"billing_active": p.slack.billing_active} for p in humans if p.slack
        }
        return _ok(billable_info=info)

    def _access_logs(self, args: dict[str, str]) -> Response:
        refused = self._lacks("admin")
        if refused is not None:
            return refused
        if self.faults.paid_only:
            return _fail("paid_only")
        logins = self._logins(args.get("before"))
        if args.get("limit") or args.get("cursor"):
            try:
                limit = max(1, min(int(args.get("limit") or 100), 1000))
            except ValueError:
                return _fail("invalid_arguments")
            start = _decode_cursor(args["cursor"], "log:") if args.get("cursor") else 0
            if start < 0:
                return _fail("invalid_cursor")
            end = start + limit
            cursor = _encode_cursor("log:", end) if end < len(logins) else ""
            return _ok(logins=logins[start:end], response_metadata={"next_cursor": cursor})
        try:
            count = max(1, min(int(args.get("count") or 100), self.faults.max_log_count))
            page = max(1, int(args.get("page") or 1))
        except ValueError:
            return _fail("invalid_arguments")
        if page > self.faults.max_log_page:
            return _fail("over_pagination_limit")
        pages = max(1, -(-len(logins) // count))
        return _ok(
            logins=logins[(page - 1) * count : page * count],
            paging={"count": count, "total": len(logins), "page": page, "pages": pages},
        )

    # ------------------------------------------------------------------ shapes

    def _member(self, p: Person) -> dict[str, Any]:
        s = p.slack
        assert s is not None
        profile: dict[str, Any] = {
            "real_name": p.display_name,
            "display_name": s.username,
            "first_name": p.given_name,
            "last_name": p.family_name,
            "title": p.title or "",
            "team": self.team_id,
        }
        if s.email and "users:read.email" not in self.faults.missing_scopes and not s.is_bot:
            profile["email"] = s.email
        if s.is_bot:
            profile["bot_id"] = "B" + s.user_id[1:]
        return {
            "id": s.user_id,
            "team_id": self.team_id,
            "name": s.username,
            "deleted": s.deleted,
            "real_name": p.display_name,
            "tz": "Europe/London",
            "is_admin": s.is_admin,
            "is_owner": p is self.owner,
            "is_primary_owner": p is self.owner,
            "is_restricted": s.is_restricted,
            "is_ultra_restricted": s.is_ultra_restricted,
            "is_bot": s.is_bot,
            "is_app_user": False,
            "updated": int(p.created_at.timestamp()),
            "has_2fa": False,
            "profile": profile,
        }

    def _slackbot(self) -> dict[str, Any]:
        return {
            "id": "USLACKBOT",
            "team_id": self.team_id,
            "name": "slackbot",
            "deleted": False,
            "real_name": "Slackbot",
            "is_admin": False,
            "is_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": False,
            "is_app_user": False,
            "updated": 0,
            "profile": {"real_name": "Slackbot", "display_name": "Slackbot"},
        }

    def _logins(self, before: str | None) -> list[dict[str, Any]]:
        """One entry per user/IP/user-agent, newest first, as Slack sorts them."""
        entries: list[dict[str, Any]] = []
        for p in self.members:
            s = p.slack
            if s is None or s.is_bot:
                continue
            for n, last in enumerate(s.access_log_last):
                stamp = int(last.timestamp())
                entries.append(
                    {
                        "user_id": s.user_id,
                        "username": s.username,
                        "date_first": stamp - 86_400 * (3 + n),
                        "date_last": stamp,
                        "count": 5 + 3 * n,
                        "ip": f"198.51.100.{(int(s.user_id[2:], 16) + n) % 250 + 1}",
                        "user_agent": _USER_AGENTS[n % len(_USER_AGENTS)],
                        "isp": "Sandbox ISP",
                        "country": "GB",
                        "region": "England",
                    }
                )
        if before:
            try:
                cutoff = int(float(before))
            except ValueError:
                cutoff = None
            if cutoff is not None:
                entries = [e for e in entries if e["date_first"] <= cutoff]
        entries.sort(key=lambda e: (-e["date_first"], e["user_id"]))
        return entries


def _ok(**body: Any) -> JSONResponse:
    return JSONResponse({"ok": True, **body})


def _fail(error: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"ok": False, "error": error, **extra})


def _encode_cursor(prefix: str, offset: int) -> str:
    return base64.b64encode(f"{prefix}{offset}".encode()).decode()


def _decode_cursor(cursor: str, prefix: str) -> int:
    """Return the offset in ``cursor``, or -1 when it is not one of ours."""
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
        return int(text.removeprefix(prefix)) if text.startswith(prefix) else -1
    except ValueError:
        return -1
