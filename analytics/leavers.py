"""Paid seats of people who left, and of guests: ``leaver_seat`` and ``guest_paid_seat``.

* ``leaver_seat`` — a paid seat held by an account whose status is ``suspended`` or
  ``deleted``, or by a person whose identity-provider account is (``idp_status``).
  Severity ``critical`` when the account itself is still ``active`` (the person left
  but can still sign in to the application), ``high`` otherwise.
* ``guest_paid_seat`` — a guest account holds a paid seat. Severity ``medium``.

A guest who is also a leaver gets one finding only, ``leaver_seat`` (leaving is the
stronger reason to reclaim the seat); its evidence says ``is_guest: true``. Each
finding saves one monthly seat.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import numpy.typing as npt

from analytics.frames import Frames
from analytics.model import Finding, Policy, Severity
from analytics.seats import (
    LEAVER_STATUSES,
    SeatTable,
    build_seat_findings,
    build_seat_table,
    gc_paused,
)


def leaver_seat_mask(table: SeatTable) -> npt.NDArray[np.bool_]:
    """Return paid seats held by leavers."""
    return table.leaver_mask() & table.paid


def guest_seat_mask(table: SeatTable) -> npt.NDArray[np.bool_]:
    """Return paid seats held by guests who are not leavers."""
    return table.is_guest & table.paid & ~table.leaver_mask()


def _reason(status: object, idp_status: object) -> str:
    if status in LEAVER_STATUSES:
        return f"account_{status}"
    return f"identity_provider_{idp_status}"


@gc_paused()
def find_leaver_seats(
    frames: Frames, policy: Policy, today: date, *, seats: SeatTable | None = None
) -> list[Finding]:
    """Find paid seats still held by people who left.

    Args:
        frames: The validated frames.
        policy: Unused here; part of the common rule signature.
        today: The day of the analysis.
        seats: A seat table already built for ``frames``/``today`` (built if None).

    Returns:
        ``leaver_seat`` findings.
    """
    del policy
    table = seats if seats is not None else build_seat_table(frames, today)
    mask = leaver_seat_mask(table)
    status = table.statuses(mask)
    idp = table.idp_statuses(mask)
    severities: list[Severity] = ["critical" if s == "active" else "high" for s in status]
    templates = table.evidence_templates("account_status", "idp_status", "is_guest", "reason")
    evidence = []
    for email, product, account_status, idp_status, guest in zip(
        table.emails(mask),
        table.product_id[mask].tolist(),
        status,
        idp,
        table.is_guest[mask].tolist(),
        strict=True,
    ):
        facts = templates[product].copy()
        facts["email"] = email
        facts["account_status"] = account_status
        facts["idp_status"] = idp_status
        facts["is_guest"] = guest
        facts["reason"] = _reason(account_status, idp_status)
        evidence.append(facts)
    return build_seat_findings(
        table, mask, kind="leaver_seat", severity=severities, evidence=evidence
    )


@gc_paused()
def find_guest_paid_seats(
    frames: Frames, policy: Policy, today: date, *, seats: SeatTable | None = None
) -> list[Finding]:
    """Find paid seats held by guest accounts (leavers excluded: they are ``leaver_seat``).

    Args:
        frames: The validated frames.
        policy: Unused here; part of the common rule signature.
        today: The day of the analysis.
        seats: A seat table already built for ``frames``/``today`` (built if None).

    Returns:
        ``guest_paid_seat`` findings.
    """
    del policy
    table = seats if seats is not None else build_seat_table(frames, today)
    mask = guest_seat_mask(table)
    templates = table.evidence_templates("account_status", "is_guest")
    evidence = []
    for email, product, account_status in zip(
        table.emails(mask), table.product_id[mask].tolist(), table.statuses(mask), strict=True
    ):
        facts = templates[product].copy()
        facts["email"] = email
        facts["account_status"] = account_status
        facts["is_guest"] = True
        evidence.append(facts)
    return build_seat_findings(
        table, mask, kind="guest_paid_seat", severity="medium", evidence=evidence
    )
