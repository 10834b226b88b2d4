"""Microsoft Graph JSON shapes of the fake company: users and subscribed SKUs.

Kept apart from the HTTP simulator so the wire shapes can be read on their own.
Each user is turned into its full JSON object once and cached; a page is then a
slice of the cache filtered to the ``$select``-ed properties.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from connectors.sandbox.company_model import Company, Person

# Properties of microsoft.graph.user the simulator knows, canonical case.
USER_PROPERTIES = (
    "id",
    "displayName",
    "givenName",
    "surname",
    "userPrincipalName",
    "mail",
    "accountEnabled",
    "userType",
    "department",
    "jobTitle",
    "createdDateTime",
    "assignedLicenses",
    "signInActivity",
    "businessPhones",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
)
USER_PROPERTY_CASE = {p.lower(): p for p in USER_PROPERTIES}
# What Graph v1.0 returns for users without $select.
DEFAULT_USER_SELECT = (
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
)


def iso(t: datetime | None) -> str | None:
    """Format a UTC time the way Graph does (``2026-11-20T08:12:03Z``)."""
    return None if t is None else t.isoformat().replace("+00:00", "Z")


def user_json(person: Person, sku_ids: dict[str, str]) -> dict[str, Any]:
    """Return the full Graph user object of ``person`` (who has ``m365`` facts).

    Args:
        person: The person.
        sku_ids: skuId GUIDs by part number.
    """
    m = person.m365
    assert m is not None
    request_id = m.object_id[:24]
    return {
        "id": m.object_id,
        "displayName": person.display_name,
        "givenName": person.given_name,
        "surname": person.family_name or None,
        "userPrincipalName": m.user_principal_name,
        "mail": m.mail,
        "accountEnabled": m.account_enabled,
        "userType": m.user_type,
        "department": m.department,
        "jobTitle": person.title,
        "createdDateTime": iso(m.created),
        "assignedLicenses": [
            {"disabledPlans": [], "skuId": sku_ids[part]} for part in m.skus if part in sku_ids
        ],
        "signInActivity": {
            "lastSignInDateTime": iso(m.last_sign_in),
            "lastSignInRequestId": request_id if m.last_sign_in else None,
            "lastNonInteractiveSignInDateTime": iso(m.last_non_interactive_sign_in),
            "lastNonInteractiveSignInRequestId": (
                request_id if m.last_non_interactive_sign_in else None
            ),
            "lastSuccessfulSignInDateTime": iso(m.last_successful_sign_in),
            "lastSuccessfulSignInRequestId": request_id if m.last_successful_sign_in else None,
        },
        "businessPhones": [],
        "mobilePhone": None,
        "officeLocation": None,
        "preferredLanguage": "en-US",
    }


def subscribed_skus_json(company: Company) -> list[dict[str, Any]]:
    """Return the ``value`` of ``GET /v1.0/subscribedSkus`` for the tenant."""
    return [
        {
            "capabilityStatus": "Enabled",
            "consumedUnits": s.seats_consumed,
            "id": f"{company.tenant_id}_{s.sku_id}",
            "accountId": company.tenant_id,
            "accountName": company.name,
            "appliesTo": "User",
            "skuId": s.sku_id,
            "skuPartNumber": s.part_number,
            "subscriptionIds": [],
            "prepaidUnits": {
                "enabled": s.seats_purchased,
                "suspended": 0,
                "warning": 0,
                "lockedOut": 0,
            },
            "servicePlans": [],
        }
        for s in company.m365_skus
    ]


class UserDirectory:
    """The tenant's users in Graph order, each encoded once per ``$select`` on first use."""

    def __init__(self, company: Company) -> None:
        self.people = [p for p in company.persons if p.m365 is not None]
        self.sku_ids = {s.part_number: s.sku_id for s in company.m365_skus}
        self._encoded: dict[tuple[str, ...], list[bytes | None]] = {}

    def __len__(self) -> int:
        return len(self.people)

    def page(self, offset: int, top: int, select: tuple[str, ...]) -> list[dict[str, Any]]:
        """Return users ``offset`` to ``offset + top`` with only ``select`` properties."""
        end = min(offset + top, len(self.people))
        return [
            {k: v for k, v in user_json(p, self.sku_ids).items() if k in select}
            for p in self.people[offset:end]
        ]

    def sign_in(self, share: float, at: datetime) -> int:
        """Let a share of the enabled users sign in at ``at``, as on a working day.

        The users are spread evenly over the directory (the same ones for the same
        share), and their sign-in times move to ``at``. A re-sync after it sees what a
        daily sync sees: nothing else changed, many sign-in times did.

        Returns:
            How many users signed in.
        """
        if not 0 <= share <= 1:
            raise ValueError(f"share must be between 0 and 1, not {share}")
        signed = 0
        enabled = [i for i, p in enumerate(self.people) if p.m365 and p.m365.account_enabled]
        for n, i in enumerate(enabled):
            if int((n + 1) * share) == int(n * share):
                continue
            m = self.people[i].m365
            assert m is not None
            m.last_sign_in = m.last_successful_sign_in = at
            for select, cache in self._encoded.items():  # encoded again now, so that
                cache[i] = self._encode(i, select)  # the next fetch costs as much as any
            signed += 1
        return signed

    def page_json(self, offset: int, top: int, select: tuple[str, ...]) -> bytes:
        """Return the same users as ``page`` as a JSON array, from the encoding cache."""
        cache = self._encoded.get(select)
        if cache is None:
            if len(self._encoded) >= 4:  # a few $select variants at most stay cached
                self._encoded.clear()
            cache = self._encoded[select] = [None] * len(self.people)
        end = min(offset + top, len(self.people))
        parts: list[bytes] = []
        for i in range(offset, end):
            blob = cache[i]
            if blob is None:
                blob = cache[i] = self._encode(i, select)
            parts.append(blob)
        return b"[" + b",".join(parts) + b"]"

    def _encode(self, i: int, select: tuple[str, ...]) -> bytes:
        full = user_json(self.people[i], self.sku_ids)
        return orjson.dumps({k: full[k] for k in select})
