"""Google Workspace Directory users as account records: the connector's mapping rules.

How a ``users.list`` entry becomes an :class:`AccountRecord` (status, admin flags, the
display name from its parts, the department from the organisations or the org unit,
Google's epoch "never signed in") and which other addresses it is known by. Kept
apart from :mod:`connectors.google_workspace`, which does the paging and licences.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from connectors.base import AccountRecord, ConnectorDataError

NEVER_LOGGED_IN = datetime(1970, 1, 1, tzinfo=UTC)
"""What ``lastLoginTime`` holds for a user who never signed in."""


def user_account(user: Any) -> AccountRecord:
    """A Directory user as an account record.

    Raises:
        ConnectorDataError: The user has no ``id`` or ``primaryEmail``, or an unreadable time.
    """
    if not isinstance(user, dict) or not user.get("id") or not user.get("primaryEmail"):
        raise ConnectorDataError(
            f"Google returned a Directory user without id or primaryEmail: {user!r}."
        )
    last_login = _timestamp(user.get("lastLoginTime"), "lastLoginTime")
    suspended = bool(user.get("suspended")) or bool(user.get("archived"))
    return AccountRecord(
        external_id=str(user["id"]),
        email=str(user["primaryEmail"]).strip().lower(),
        display_name=_full_name(user.get("name")),
        status="suspended" if suspended else "active",
        is_guest=False,
        is_admin=bool(user.get("isAdmin")) or bool(user.get("isDelegatedAdmin")),
        department=_department(user),
        created_at=_timestamp(user.get("creationTime"), "creationTime"),
        # Google's "never" is the epoch, however it is spelled ("…00Z", "…00.000Z").
        last_active_at=None if last_login == NEVER_LOGGED_IN else last_login,
        activity_known=True,
    )


def _full_name(name: Any) -> str | None:
    """``name.fullName``, else the given and family names it is made of (either may be absent)."""
    if not isinstance(name, dict):
        return None
    full = name.get("fullName") or " ".join(
        str(part) for part in (name.get("givenName"), name.get("familyName")) if part
    )
    return str(full).strip() or None


def _department(user: dict[str, Any]) -> str | None:
    organizations = user.get("organizations")
    if isinstance(organizations, list):
        ordered = sorted(
            (o for o in organizations if isinstance(o, dict)),
            key=lambda o: not o.get("primary", False),
        )
        for org in ordered:
            if org.get("department"):
                return str(org["department"])
    org_unit = user.get("orgUnitPath")
    if isinstance(org_unit, str) and org_unit.strip("/"):
        return org_unit.rstrip("/").rsplit("/", 1)[-1]
    return None


def _timestamp(value: Any, name: str) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise ConnectorDataError(f"Google returned an unreadable {name}: {value!r}.") from exc


def user_aliases(user: dict[str, Any], account: AccountRecord) -> list[str]:
    """The user's other addresses (``aliases``, ``nonEditableAliases``), lower-cased, once each."""
    found: list[str] = []
    for key in ("aliases", "nonEditableAliases"):
        extra = user.get(key)
        if isinstance(extra, list):
            for alias in extra:
                address = str(alias).strip().lower()
                if "@" in address and address != account.email and address not in found:
                    found.append(address)
    return found
