"""A hand-written Slack Web API: auth.test, users.list, team.billableInfo, team.accessLogs.

Every method answers GET (query) and POST (form); failures are HTTP 200 with
``ok: false`` except throttling (429 + Retry-After). accessLogs pages both ways Slack
documents: classic ``page``/``count`` with ``paging.pages``, or cursor when ``limit``
is sent.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.acceptance.company import BILLABLE, _member, access_logs, slack_members

ACME_TOKEN = "xoxp-1111-2222-acme-admin"
FREE_TOKEN = "xoxp-3333-4444-free-admin"
MEMBERS_PAGE = 4
LOGS_PAGE = 3


def _free_members() -> list[dict[str, Any]]:
    return [
        _member("U1FREEA", "Ana Ruiz", "ana@example.com", team="T0FREE"),
        _member("U1FREEB", "Zed Young", "zed@example.com", team="T0FREE"),
    ]


@dataclass
class Team:
    """One workspace as its admin token sees it."""

    id: str
    name: str
    domain: str
    members: list[dict[str, Any]]
    billable: dict[str, bool]
    logins: list[dict[str, Any]] | None  # None: a free workspace (paid_only)


@dataclass
class SlackState:
    """Workspaces by token, fault switches, and what the server saw."""

    teams: dict[str, Team] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    throttle: dict[str, int] = field(default_factory=dict)
    throttle_times: list[float] = field(default_factory=list)

    def reset(self) -> None:
        """Back to the original workspaces, no faults."""
        self.teams = {
            ACME_TOKEN: Team(
                "T0ACME", "Acme", "acme", slack_members(), dict(BILLABLE), access_logs()
            ),
            FREE_TOKEN: Team(
                "T0FREE",
                "Freebies",
                "freebies",
                _free_members(),
                {"U1FREEA": True, "U1FREEB": True},
                None,
            ),
        }
        self.calls.clear()
        self.throttle.clear()
        self.throttle_times.clear()


def _cursor(offset: int) -> str:
    return base64.b64encode(f"user:{offset}".encode()).decode()


def _offset(cursor: str | None) -> int:
    return int(base64.b64decode(cursor).decode().split(":")[1]) if cursor else 0


def slack_app(state: SlackState) -> Starlette:
    """The four methods, under ``/api/``."""

    async def method(request: Request) -> Response:
        name = request.path_params["method"]
        args: dict[str, str] = dict(request.query_params)
        if request.method == "POST":
            args.update({k: str(v) for k, v in (await request.form()).items()})
        state.calls.append((name, args))
        if state.throttle.get(name, 0) > 0:
            state.throttle[name] -= 1
            state.throttle_times.append(time.monotonic())
            return JSONResponse(
                {"ok": False, "error": "ratelimited"}, status_code=429, headers={"Retry-After": "1"}
            )
        header = request.headers.get("authorization", "")
        token = (
            header.removeprefix("Bearer ") if header.startswith("Bearer ") else args.get("token")
        )
        if not token:
            return JSONResponse({"ok": False, "error": "not_authed"})
        team = state.teams.get(token)
        if team is None:
            return JSONResponse({"ok": False, "error": "invalid_auth"})
        handler = HANDLERS.get(name)
        if handler is None:
            return JSONResponse({"ok": False, "error": "unknown_method"})
        return JSONResponse(handler(team, args))

    return Starlette(routes=[Route("/api/{method}", method, methods=["GET", "POST"])])


def _auth_test(team: Team, args: dict[str, str]) -> dict[str, Any]:
    return {
        "ok": True,
        "url": f"https://{team.domain}.slack.com/",
        "team": team.name,
        "user": "admin",
        "team_id": team.id,
        "user_id": "U0ADMIN",
        "is_enterprise_install": False,
    }


def _users_list(team: Team, args: dict[str, str]) -> dict[str, Any]:
    if "limit" not in args:
        return {"ok": False, "error": "limit_required"}
    start = _offset(args.get("cursor"))
    stop = start + min(int(args["limit"]), MEMBERS_PAGE)
    return {
        "ok": True,
        "members": team.members[start:stop],
        "cache_ts": 1498777272,
        "response_metadata": {"next_cursor": _cursor(stop) if stop < len(team.members) else ""},
    }


def _billable(team: Team, args: dict[str, str]) -> dict[str, Any]:
    """Paged by cursor, as the method allows, five members a page."""
    entries = list(team.billable.items())
    start = _offset(args.get("cursor"))
    stop = start + 5
    info = {uid: {"billing_active": active} for uid, active in entries[start:stop]}
    more = _cursor(stop) if stop < len(entries) else ""
    return {"ok": True, "billable_info": info, "response_metadata": {"next_cursor": more}}


def _access_logs(team: Team, args: dict[str, str]) -> dict[str, Any]:
    if team.logins is None:
        return {"ok": False, "error": "paid_only"}
    logs = team.logins
    if "limit" in args:
        start = _offset(args.get("cursor"))
        stop = start + min(int(args["limit"]), LOGS_PAGE)
        return {
            "ok": True,
            "logins": logs[start:stop],
            "response_metadata": {"next_cursor": _cursor(stop) if stop < len(logs) else ""},
        }
    count = min(int(args.get("count", "100")), LOGS_PAGE)
    page = int(args.get("page", "1"))
    if page > 100:
        return {"ok": False, "error": "over_pagination_limit"}
    pages = max(1, -(-len(logs) // count))
    return {
        "ok": True,
        "logins": logs[(page - 1) * count : page * count],
        "paging": {"count": count, "total": len(logs), "page": page, "pages": pages},
    }


HANDLERS = {
    "auth.test": _auth_test,
    "users.list": _users_list,
    "team.billableInfo": _billable,
    "team.accessLogs": _access_logs,
}
