"""Run every rule over one set of frames: ``run_all(frames, policy, today)``.

The seat table (assignments joined with accounts, persons and prices) is built once and
shared. No seat is counted twice: each rule already leaves out seats a stronger rule
takes (leaver > guest > unused > never used; overlaps skip seats any of those flag),
and ``run_all`` enforces it once more on the output, keeping one seat finding per
(account, product) in that precedence and one finding per key.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from analytics.frames import Frames
from analytics.leavers import (
    find_guest_paid_seats,
    find_leaver_seats,
    guest_seat_mask,
    leaver_seat_mask,
)
from analytics.model import SEAT_KINDS, ApplicationPolicy, Finding, Policy, Severity
from analytics.overlap import find_overlaps
from analytics.overuse import find_seat_count_issues
from analytics.renewals import find_duplicate_subscriptions, find_renewals
from analytics.seats import SeatTable, build_seat_table, gc_paused
from analytics.trials import find_trials_ending
from analytics.unused import (
    find_never_used_seats,
    find_unused_seats,
    never_used_mask,
    unused_mask,
)

__all__ = [
    "AnalysisResult",
    "ApplicationPolicy",
    "Finding",
    "Frames",
    "Policy",
    "Severity",
    "run_all",
]

SeatRule = Callable[..., list[Finding]]
ContractRule = Callable[[Frames, Policy, date], list[Finding]]

#: Rules over seats, in precedence order (a seat keeps the first kind that flags it).
SEAT_RULES: tuple[tuple[str, SeatRule], ...] = (
    ("leavers", find_leaver_seats),
    ("guests", find_guest_paid_seats),
    ("unused", find_unused_seats),
    ("never_used", find_never_used_seats),
    ("overuse", find_seat_count_issues),
    ("overlap", find_overlaps),
)

#: The kinds each per-seat rule produces.
SEAT_RULE_KINDS: dict[str, tuple[str, ...]] = {
    "leavers": ("leaver_seat",),
    "guests": ("guest_paid_seat",),
    "unused": ("unused_seat",),
    "never_used": ("never_used_seat",),
}

#: Rules over contracts only.
CONTRACT_RULES: tuple[tuple[str, ContractRule], ...] = (
    ("renewals", find_renewals),
    ("duplicates", find_duplicate_subscriptions),
    ("trials", find_trials_ending),
)


@dataclass(frozen=True)
class AnalysisResult:
    """Findings of one analysis, and how long each step took (seconds)."""

    findings: list[Finding]
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        """Time of the whole analysis."""
        return sum(self.timings.values())


def run_all(frames: Frames, policy: Policy, today: date) -> AnalysisResult:
    """Run every rule and return their findings without double counting.

    Args:
        frames: The validated frames.
        policy: Thresholds, with per-application overrides.
        today: The day of the analysis (never read from the clock).

    Returns:
        All findings (seat rules first, then overlaps, then contract rules) and timings
        keyed ``seats`` (building the seat table) and by rule name.
    """
    timings: dict[str, float] = {}
    findings: list[Finding] = []
    with gc_paused():
        started = time.perf_counter()
        seats: SeatTable = build_seat_table(frames, today)
        timings["seats"] = time.perf_counter() - started
        seat_count = 0  # the per-seat rules come first and produce only seat kinds
        for name, seat_rule in SEAT_RULES:
            started = time.perf_counter()
            produced = seat_rule(frames, policy, today, seats=seats)
            findings += produced
            if name in SEAT_RULE_KINDS:
                seat_count += len(produced)
            timings[name] = time.perf_counter() - started
        for name, contract_rule in CONTRACT_RULES:
            started = time.perf_counter()
            findings += contract_rule(frames, policy, today)
            timings[name] = time.perf_counter() - started
        started = time.perf_counter()
        if _seat_rules_disjoint(seats, policy, today):
            # Seat findings are one per (account, product) by construction; only the
            # rest (a few thousand) needs the key check.
            findings = findings[:seat_count] + deduplicate(findings[seat_count:])
        else:
            findings = deduplicate(findings)
        timings["deduplicate"] = time.perf_counter() - started
    return AnalysisResult(findings=findings, timings=timings)


def _seat_rules_disjoint(seats: SeatTable, policy: Policy, today: date) -> bool:
    """Return whether no seat matches two seat rules (so no seat finding can repeat)."""
    hits = (
        leaver_seat_mask(seats).astype(np.int8)
        + guest_seat_mask(seats)
        + unused_mask(seats, policy, today)[0]
        + never_used_mask(seats, policy, today)[0]
    )
    return bool((hits <= 1).all())


def deduplicate(findings: list[Finding]) -> list[Finding]:
    """Keep one seat finding per (account, product) by precedence, and one finding per key.

    The rules already exclude each other, so this normally drops nothing; it is the
    guarantee on the combined output, vectorised because it sees every finding.
    """
    rank = {kind: i for i, kind in enumerate(SEAT_KINDS)}
    positions = [i for i, f in enumerate(findings) if f.kind in rank]
    drop: set[int] = set()
    if positions:
        chosen = [findings[i] for i in positions]
        account = np.array([-1 if f.account_id is None else f.account_id for f in chosen])
        product = np.array([-1 if f.product_id is None else f.product_id for f in chosen])
        ranks = np.array([rank[f.kind] for f in chosen])
        order = np.lexsort((ranks, product, account))
        same_seat = (account[order][1:] == account[order][:-1]) & (
            product[order][1:] == product[order][:-1]
        )
        drop = set(np.asarray(positions)[order[1:][same_seat]].tolist())
    keys = [f.key for f in findings]
    if not drop and len(set(keys)) == len(keys):
        return findings
    seen: set[str] = set()
    out: list[Finding] = []
    for i, f in enumerate(findings):
        if i in drop or f.key in seen:
            continue
        seen.add(f.key)
        out.append(f)
    return out
