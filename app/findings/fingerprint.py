"""What makes a finding "the same" across runs: the fingerprint of its material facts.

A dismissed or acknowledged finding keeps its status while its fingerprint stays the
same, and is reopened when it changes. The fingerprint covers the kind, the subject,
the monthly saving (with currency) and, per kind, the evidence a human based the
decision on. Facts that move every day without changing the decision are left out:

* seat findings (``unused_seat``, ``never_used_seat``, ``leaver_seat``,
  ``guest_paid_seat``): the seat price source and, for leavers, why the person counts
  as gone (``reason``). Not ``days_inactive``/``days_since_created`` (they grow daily),
  nor ``last_active_at`` (a newer activity either resolves the finding or moves
  nothing that matters) nor the policy thresholds.
* ``overuse``: ``excess_seats`` and ``seats_purchased`` (the saving is always 0).
* ``unassigned_seats``: ``unassigned_seats`` and ``seats_purchased``.
* ``overlap``: ``seats_counted`` (the saving covers the price); ``suite_overlap``:
  the shared capabilities.
* contract findings (``renewal_due``, ``notice_deadline``, ``notice_missed``,
  ``trial_ending``): the dates and terms (``renewal_date``, ``end_date``,
  ``notice_days``, ``auto_renew``, ``seats``, ``unit_price``, ``total_cost``), never
  the day countdowns. ``duplicate_subscription``: both contracts' terms.

Unknown kinds fall back to kind, subject and saving only.

A finding resolved while dismissed and produced again stays dismissed when its material
facts are the same and so are its *episode* facts (``EPISODE_EVIDENCE``): the evidence
that dates the situation, such as an idle seat's ``last_active_at``. The same situation
seen again (after an ``--as-of`` in the past, or a sync that briefly lacked the seat) is
not a change, on whatever day it comes back; a holder who was active in between and is
idle again is a new situation, and reopens.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import orjson

from analytics.model import Finding

_SEAT_FACTS = ("price_source",)
_CONTRACT_FACTS = (
    "renewal_date",
    "end_date",
    "notice_days",
    "auto_renew",
    "seats",
    "unit_price",
    "total_cost",
    "trial_ends_on",
)

#: Evidence keys that are material, per kind.
MATERIAL_EVIDENCE: Mapping[str, tuple[str, ...]] = {
    "unused_seat": _SEAT_FACTS,
    "never_used_seat": _SEAT_FACTS,
    "leaver_seat": (*_SEAT_FACTS, "reason"),
    "guest_paid_seat": _SEAT_FACTS,
    "overuse": ("excess_seats", "seats_purchased"),
    "unassigned_seats": ("unassigned_seats", "seats_purchased"),
    "overlap": ("seats_counted",),
    "suite_overlap": ("shared_capabilities",),
    "renewal_due": _CONTRACT_FACTS,
    "notice_deadline": (*_CONTRACT_FACTS, "notice_deadline"),
    "notice_missed": (*_CONTRACT_FACTS, "notice_deadline"),
    "trial_ending": _CONTRACT_FACTS,
    "duplicate_subscription": ("contract", "duplicates_contract"),
}

#: Evidence that dates the situation a finding describes, per kind (see the module).
EPISODE_EVIDENCE: Mapping[str, tuple[str, ...]] = {
    "unused_seat": ("last_active_at",),
    "never_used_seat": ("created_on",),
}

_DUPLICATE_TERMS = ("contract_number", "start_date", "end_date", "seats", "unit_price")


def material_facts(finding: Finding) -> dict[str, Any]:
    """Return the facts whose change reopens a dismissed or acknowledged finding."""
    saving = finding.monthly_savings
    facts: dict[str, Any] = {
        "kind": finding.kind,
        "subject": finding.subject,
        "monthly_savings": None if saving is None else str(saving.quantize(Decimal("0.01"))),
        "currency": finding.currency,
    }
    for name in MATERIAL_EVIDENCE.get(finding.kind, ()):
        value = finding.evidence.get(name)
        if finding.kind == "duplicate_subscription" and isinstance(value, Mapping):
            value = {k: value.get(k) for k in _DUPLICATE_TERMS}
        facts[name] = value
    return facts


def episode_facts(kind: str, evidence: Mapping[str, Any]) -> dict[str, Any]:
    """Return the evidence that dates a finding's situation (empty for most kinds)."""
    return {name: evidence.get(name) for name in EPISODE_EVIDENCE.get(kind, ())}


def fingerprint(finding: Finding, evidence_json: str) -> str:
    """Return 64 hex digits: 32 of the material facts' hash, 32 of the whole content's.

    The first half decides reopening (``material_part``); the whole string tells whether
    anything at all changed, so unchanged findings are not rewritten.
    """
    material = orjson.dumps(material_facts(finding), default=str, option=orjson.OPT_SORT_KEYS)
    content = "\x1f".join(
        (
            finding.severity,
            str(finding.application_id),
            str(finding.product_id),
            finding.subject,
            str(finding.monthly_savings),
            str(finding.currency),
            evidence_json,
        )
    )
    return (
        hashlib.sha256(material).hexdigest()[:32]
        + hashlib.sha256(content.encode()).hexdigest()[:32]
    )


def material_part(value: str | None) -> str:
    """Return the part of a stored fingerprint that covers the material facts."""
    return (value or "")[:32]
