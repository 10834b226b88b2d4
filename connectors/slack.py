"""Slack connector: workspace members, billable seats and last activity.

Reads ``team.billableInfo`` (who is billed), ``team.accessLogs`` (when each member was
last seen) and ``users.list`` (the members), through slack-sdk's ``WebClient`` pointed at
``api_url``; and ``auth.test`` for the workspace's name, when the server answers it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import Field, field_validator

from connectors.base import (
    AccountRecord,
    AssignmentRecord,
    CaBundleField,
    Connector,
    ConnectorConfig,
    ConnectorConfigError,
    ConnectorDataError,
    ConnectorError,
    ProductRecord,
    Record,
    SecretField,
    SyncWarning,
    http_root_url,
)
from connectors.slack_api import SlackApi, SlackRefused

SLACKBOT = "USLACKBOT"
_MEMBERS_PAGE = 200
_LOGS_PAGE = 1000
_MAX_LOG_PAGES = 100
_PAID_ONLY = (
    "Slack's access logs need a paid plan (team.accessLogs answered paid_only), so last "
    "activity is unknown for every Slack member and no unused-seat finding is made for Slack."
)


@dataclass(frozen=True)
class Workspace:
    """What ``auth.test`` said of the token: its workspace and user (None: not said)."""

    team_id: str | None = None
    name: str | None = None
    user: str | None = None
    user_id: str | None = None


class SlackConfig(ConnectorConfig):
    """Settings of a Slack connector."""

    token: str = SecretField(
        title="Token",
        description="User token (xoxp-) of a workspace admin with the users:read, "
        "users:read.email and admin scopes.",
    )
    api_url: str = Field(
        default="https://slack.com/api/",
        title="API URL",
        description="Root of the Slack Web API.",
    )
    ca_bundle: str | None = CaBundleField(
        description="PEM file (or PEM text) of CA certificates to trust.",
    )

    @field_validator("token")
    @classmethod
    def _token_present(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("token must not be empty")
        return value

    @field_validator("api_url")
    @classmethod
    def _url_is_http(cls, value: str) -> str:
        return http_root_url(value)


class SlackConnector(Connector):
    """Reads a Slack workspace's members, billable seats and access logs."""

    kind: ClassVar[str] = "slack"
    plain_values: ClassVar[bool] = True  # every value comes from Slack's JSON
    title: ClassVar[str] = "Slack"
    config_model: ClassVar[type[ConnectorConfig]] = SlackConfig

    def __init__(
        self, config: ConnectorConfig, *, max_retries: int = 5, max_wait: float = 120.0
    ) -> None:
        if not isinstance(config, SlackConfig):
            raise ConnectorConfigError("SlackConnector needs a SlackConfig.")
        super().__init__(config)
        self.settings = config
        self.max_retries = max_retries
        self.max_wait = max_wait

    def check(self) -> str:
        """List one member (the users:read scope) and read that member's billing (admin).

        Returns:
            A one-line summary naming the workspace and, when Slack says, the token's user.
        """
        api = self._api()
        workspace = self._workspace(api)
        page = api.call(api.client.users_list, "users.list", limit=1)
        members = page.get("members")
        if not isinstance(members, list):
            raise ConnectorDataError("Slack's users.list answer has no members list.")
        first = members[0] if members and isinstance(members[0], dict) else {}
        # The token's own seat when auth.test said whose it is, else one entry of the list.
        user = workspace.user_id
        billing: dict[str, Any] = {"user": user} if user else {"limit": 1}
        api.call(api.client.team_billableInfo, "team.billableInfo", **billing)
        team_id = workspace.team_id or first.get("team_id")
        team = " ".join(x for x in (workspace.name, f"({team_id})" if team_id else None) if x)
        who = f" as {workspace.user}" if workspace.user else ""
        return f"Signed in to Slack workspace {team}{who}; members and billing are readable."

    def fetch(self) -> Iterator[Record]:
        """Stream the workspace's product, then each member and their seat.

        The workspace's id comes from ``auth.test`` when Slack answers it, else from the
        members' ``team_id``: the documented methods (``users.list``,
        ``team.billableInfo``, ``team.accessLogs``) are enough, and a server that offers
        only those is synced all the same.

        Yields:
            One ProductRecord for the workspace, an AccountRecord per human member each
            followed by an AssignmentRecord when billed, and SyncWarnings.
        """
        api = self._api()
        workspace = self._workspace(api)
        billable = self._billable(api)
        latest, complete, warnings = self._access_logs(api)
        members = self._members(api)
        first = next(members, None)
        team_id = workspace.team_id or (first or {}).get("team_id")
        if not team_id:
            raise ConnectorDataError(
                "Slack named no workspace: auth.test did not answer and users.list's "
                "members carry no team_id."
            )
        yield ProductRecord(
            external_id=str(team_id),
            name=f"Slack {workspace.name or ''}".strip(),
            seats_purchased=None,
            seats_consumed=sum(1 for active in billable.values() if active),
        )
        yield from warnings
        no_email = 0
        listed: set[str] = set()
        for member in itertools.chain([first] if first else [], members):
            listed.add(str(member["id"]))
            if member.get("is_bot") or member.get("id") == SLACKBOT:
                continue
            account = _account(member, latest, activity_known=complete)
            if account.email is None:
                no_email += 1
            yield account
            if billable.get(account.external_id):
                yield AssignmentRecord(
                    account_external_id=account.external_id, product_external_id=str(team_id)
                )
        if no_email:
            yield SyncWarning(
                f"{no_email} Slack member(s) came without an e-mail address, so they cannot be "
                "matched to people. Add the users:read.email scope to the Slack app, reinstall "
                "it, and sync again."
            )
        unlisted = sorted(u for u, active in billable.items() if active and u not in listed)
        if unlisted:
            yield SyncWarning(
                f"{len(unlisted)} billed Slack seat(s) belong to users that users.list does "
                f"not list ({', '.join(unlisted[:5])}{', …' if len(unlisted) > 5 else ''}): "
                "they count in the seats consumed, but no account holds them."
            )

    def _workspace(self, api: SlackApi) -> Workspace:
        """Who and which workspace the token is, from ``auth.test``; empty if it will not say.

        ``auth.test`` names the workspace (for the product's name) but is not one of the
        methods a Slack-compatible server must offer; any failure of it is left to the
        documented calls that follow, which fail for the same cause if it is a real one
        (a revoked token, an unreachable host) and name it.
        """
        try:
            auth = api.call(api.client.auth_test, "auth.test", refusals=True)
        except (SlackRefused, ConnectorError):
            return Workspace()
        return Workspace(
            team_id=str(auth.get("team_id") or "") or None,
            name=str(auth.get("team") or "") or None,
            user=str(auth.get("user") or "") or None,
            user_id=str(auth.get("user_id") or "") or None,
        )

    # ------------------------------------------------------------------ reads

    def _billable(self, api: SlackApi) -> dict[str, bool]:
        out: dict[str, bool] = {}
        cursor: str | None = None
        seen: set[str] = set()
        while True:
            params: dict[str, Any] = {"cursor": cursor} if cursor else {}
            data = api.call(api.client.team_billableInfo, "team.billableInfo", **params)
            info = data.get("billable_info")
            if not isinstance(info, dict):
                raise ConnectorDataError("Slack's team.billableInfo answer has no billable_info.")
            for user_id, entry in info.items():
                out[str(user_id)] = isinstance(entry, dict) and entry.get("billing_active") is True
            cursor = _next_cursor(data, seen, "team.billableInfo")
            if cursor is None:
                return out

    def _members(self, api: SlackApi) -> Iterator[dict[str, Any]]:
        cursor: str | None = None
        seen: set[str] = set()
        while True:
            params: dict[str, Any] = {"limit": _MEMBERS_PAGE}
            if cursor:
                params["cursor"] = cursor
            data = api.call(api.client.users_list, "users.list", **params)
            members = data.get("members")
            if not isinstance(members, list):
                raise ConnectorDataError("Slack's users.list answer has no members list.")
            for member in members:
                if not isinstance(member, dict) or not member.get("id"):
                    raise ConnectorDataError(
                        f"Slack's users.list has a member without id: {member!r}."
                    )
                yield member
            cursor = _next_cursor(data, seen, "users.list")
            if cursor is None:
                return

    def _access_logs(self, api: SlackApi) -> tuple[dict[str, int], bool, list[SyncWarning]]:
        """Return each user's latest ``date_last``, whether the logs were read whole, warnings.

        Pages classically (``count``/``page``, at most 100 pages) and follows
        ``response_metadata.next_cursor`` instead whenever the server offers one.
        """
        latest: dict[str, int] = {}
        page, cursor, seen = 1, None, set[str]()
        while True:
            params: dict[str, Any] = (
                {"cursor": cursor, "limit": _LOGS_PAGE}
                if cursor
                else {"count": _LOGS_PAGE, "page": page}
            )
            try:
                data = api.call(
                    api.client.team_accessLogs, "team.accessLogs", refusals=True, **params
                )
            except SlackRefused as refused:
                if refused.error == "paid_only":
                    return {}, False, [SyncWarning(_PAID_ONLY)]
                if refused.error == "over_pagination_limit":
                    return latest, False, [_truncated_warning(page)]
                raise api.refusal_error(refused, "team.accessLogs") from refused
            for entry in data.get("logins") or []:
                user_id = entry.get("user_id") if isinstance(entry, dict) else None
                last = entry.get("date_last") if isinstance(entry, dict) else None
                if not user_id or not isinstance(last, int | float):
                    raise ConnectorDataError(
                        "Slack's team.accessLogs has an entry without user_id or date_last: "
                        f"{entry!r}."
                    )
                latest[user_id] = max(latest.get(user_id, 0), int(last))
            next_cursor = _next_cursor(data, seen, "team.accessLogs")
            if next_cursor or cursor:
                if next_cursor is None:
                    return latest, True, []
                cursor = next_cursor
                continue
            paging = data.get("paging") or {}
            pages = int(paging.get("pages") or 1) if isinstance(paging, dict) else 1
            if page >= pages:
                return latest, True, []
            if page >= _MAX_LOG_PAGES:
                return latest, False, [_truncated_warning(page + 1)]
            page += 1

    def _api(self) -> SlackApi:
        return SlackApi(
            token=self.settings.token,
            api_url=self.settings.api_url,
            ca_bundle=self.settings.ca_bundle,
            max_retries=self.max_retries,
            max_wait=self.max_wait,
        )


def _account(
    member: dict[str, Any], latest: dict[str, int], *, activity_known: bool
) -> AccountRecord:
    user_id = str(member["id"])
    profile = member.get("profile") if isinstance(member.get("profile"), dict) else {}
    assert isinstance(profile, dict)
    email = profile.get("email")
    name = profile.get("real_name") or member.get("real_name") or member.get("name")
    seen = latest.get(user_id)
    return AccountRecord(
        external_id=user_id,
        email=str(email).strip().lower() if email else None,
        display_name=str(name) if name else None,
        status="deleted" if member.get("deleted") else "active",
        is_guest=bool(member.get("is_restricted")) or bool(member.get("is_ultra_restricted")),
        is_admin=any(bool(member.get(k)) for k in ("is_admin", "is_owner", "is_primary_owner")),
        last_active_at=datetime.fromtimestamp(seen, UTC) if seen else None,
        activity_known=activity_known or seen is not None,
    )


def _next_cursor(data: dict[str, Any], seen: set[str], name: str) -> str | None:
    meta = data.get("response_metadata")
    cursor = meta.get("next_cursor") if isinstance(meta, dict) else None
    if not cursor:
        return None
    cursor = str(cursor)
    if cursor in seen:
        raise ConnectorDataError(f"Slack repeated a cursor of {name}; stopping instead of looping.")
    seen.add(cursor)
    return cursor


def _truncated_warning(page: int) -> SyncWarning:
    return SyncWarning(
        f"Slack's access logs stop at page {page - 1} (over_pagination_limit); older entries "
        "were not read, so members not seen in the newest entries have unknown activity."
    )
