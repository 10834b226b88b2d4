"""Paid seats nobody uses: ``unused_seat`` and ``never_used_seat``.

Edges (all compared by UTC calendar day, ``days_inactive = today - last_active day``):

* ``unused_seat`` — an active, non-guest account holds a paid seat and
  ``days_inactive > inactive_days`` (strictly): exactly 90 days inactive is not flagged,
  91 is. Severity ``medium``; ``high`` from twice the threshold.
* ``never_used_seat`` — an active, non-guest account holds a paid seat, its
  ``last_active_at`` is null while its source does report activity
  (``activity_known``), and it was created (or, without a creation date, first seen)
  more than ``never_used_grace_days`` days ago (strictly). Severity ``medium``.

Seats of leavers (``leaver_seat``) are never flagged here. Each saves one monthly seat.
Per-application overrides in ``Policy.per_application`` apply to both thresholds.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import numpy.typing as npt
import pandas as pd

from analytics.frames import Frames, day_number
from analytics.model import Finding, Policy, Severity
from analytics.seats import SeatTable, build_seat_findings, build_seat_table, gc_paused


def _per_app(
    app_ids: npt.NDArray[np.int64], default: int, overrides: dict[int, int]
) -> npt.NDArray[np.float64]:
    """Return each seat's threshold: its application's override, else the default."""
    if not overrides:
        return np.full(len(app_ids), float(default))
    return np.asarray(pd.Series(app_ids).map(overrides).fillna(default), dtype=np.float64)


def _candidate_mask(table: SeatTable) -> npt.NDArray[np.bool_]:
    """Paid seats of active, non-guest accounts whose holder is not a leaver."""
    return table.is_active & ~table.is_guest & table.paid & ~table.leaver_mask()


def _since_days(table: SeatTable) -> npt.NDArray[np.float64]:
    """Creation day of each seat's account, else its first-seen day (NaN if neither)."""
    return np.where(np.isnan(table.created_day), table.first_seen_day, table.created_day)


def unused_mask(
    table: SeatTable, policy: Policy, today: date
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Return the unused seats, with days inactive and the threshold of each seat."""
    overrides = {
        a: o.inactive_days for a, o in policy.per_application.items() if o.inactive_days is not None
    }
    thresholds = _per_app(table.application_id, policy.inactive_days, overrides)
    days_inactive = day_number(today) - table.last_active_day
    with np.errstate(invalid="ignore"):
        mask = _candidate_mask(table) & (days_inactive > thresholds)
    return mask, days_inactive, thresholds


def never_used_mask(
    table: SeatTable, policy: Policy, today: date
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Return never-used seats, with days since creation and the grace of each seat."""
    overrides = {
        a: o.never_used_grace_days
        for a, o in policy.per_application.items()
        if o.never_used_grace_days is not None
    }
    grace = _per_app(table.application_id, policy.never_used_grace_days, overrides)
    age = day_number(today) - _since_days(table)
    with np.errstate(invalid="ignore"):
        mask = (
            _candidate_mask(table)
            & np.isnan(table.last_active_day)
            & table.activity_known
            & (age > grace)
        )
    return mask, age, grace


@gc_paused()
def find_unused_seats(
    frames: Frames, policy: Policy, today: date, *, seats: SeatTable | None = None
) -> list[Finding]:
    """Find paid seats of active accounts idle for longer than the threshold.

    Args:
        frames: The validated frames.
        policy: Thresholds (``inactive_days`` and per-application overrides).
        today: The day of the analysis.
        seats: A seat table already built for ``frames``/``today`` (built if None).

    Returns:
        ``unused_seat`` findings.
    """
    table = seats if seats is not None else build_seat_table(frames, today)
    mask, days, thresholds = unused_mask(table, policy, today)
    selected_days = days[mask].astype(np.int64).tolist()
    threshold_list = thresholds[mask].astype(np.int64).tolist()
    severities: list[Severity] = [
        "high" if d > 2 * t else "medium"
        for d, t in zip(selected_days, threshold_list, strict=True)
    ]
    templates = table.evidence_templates(
        "last_active_at", "days_inactive", "inactive_days_threshold"
    )
    evidence = []
    for email, product, last, days_idle, threshold in zip(
        table.emails(mask),
        table.product_id[mask].tolist(),
        table.last_active_iso(mask),
        selected_days,
        threshold_list,
        strict=True,
    ):
        facts = templates[product].copy()
        facts["email"] = email
        facts["last_active_at"] = last
        facts["days_inactive"] = days_idle
        facts["inactive_days_threshold"] = threshold
        evidence.append(facts)
    return build_seat_findings(
        table, mask, kind="unused_seat", severity=severities, evidence=evidence
    )


@gc_paused()
def find_never_used_seats(
    frames: Frames, policy: Policy, today: date, *, seats: SeatTable | None = None
) -> list[Finding]:
    """Find paid seats of active accounts that were never active after the grace period.

    Args:
        frames: The validated frames.
        policy: Thresholds (``never_used_grace_days`` and per-application overrides).
        today: The day of the analysis.
        seats: A seat table already built for ``frames``/``today`` (built if None).

    Returns:
        ``never_used_seat`` findings.
    """
    table = seats if seats is not None else build_seat_table(frames, today)
    mask, age, grace = never_used_mask(table, policy, today)
    since = _since_days(table)[mask]
    source = np.where(np.isnan(table.created_day[mask]), "first_seen_at", "created_at")
    templates = table.evidence_templates(
        "last_active_at",
        "created_on",
        "created_date_source",
        "days_since_created",
        "grace_days_threshold",
    )
    evidence = []
    for email, product, created_on, created_from, days_old, threshold in zip(
        table.emails(mask),
        table.product_id[mask].tolist(),
        np.datetime_as_string(since.astype(np.int64).astype("datetime64[D]")).tolist(),
        source.tolist(),
        age[mask].astype(np.int64).tolist(),
        grace[mask].astype(np.int64).tolist(),
        strict=True,
    ):
        facts = templates[product].copy()
        facts["email"] = email
        facts["created_on"] = created_on
        facts["created_date_source"] = created_from
        facts["days_since_created"] = days_old
        facts["grace_days_threshold"] = threshold
        evidence.append(facts)
    return build_seat_findings(
        table, mask, kind="never_used_seat", severity="medium", evidence=evidence
    )
