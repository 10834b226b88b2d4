"""Applications doing the same job: ``overlap`` and ``suite_overlap``.

A seat's capabilities are its product's ``catalog_capabilities`` when given, else its
application's ``capabilities``; a product belongs to a suite when its application
``is_suite``. Two seats overlap when their capability sets intersect. People are
matched across sources by ``person_id`` (accounts without a person are left out).

* ``overlap:<app>`` — a standalone application whose seat overlaps a suite seat held by
  the same person, raised when at least one such standalone seat is paid. Saves the
  monthly cost of the standalone seats (paid) held by people who also hold an
  overlapping suite seat, leaving out seats already flagged by a seat finding
  (leaver, guest, unused, never used). Severity ``medium``.
* ``overlap:<app_a>:<app_b>`` (ids ascending) — two standalone applications whose seats
  overlap for at least one person, raised when one of those seats is paid. Saves the
  smaller application's (fewer people; ties: lower saving, then lower id) paid seats
  held by people who have both, leaving out flagged seats and seats already counted by
  an ``overlap:<app>`` finding or an earlier pair (key order). Severity ``low``.
* ``suite_overlap:<suite_a>:<suite_b>`` — two suites in use whose seats' capabilities
  intersect; ``monthly_savings`` None (a human decides). Severity ``medium``.

Savings are None when a counted seat has no known price or the counted seats are
priced in several currencies (the evidence then lists each product).

The work is vectorised: seats are exploded by capability, grouped by (person,
capability), and only groups holding two or more applications produce pairs.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from analytics.frames import Frames
from analytics.intsets import count_distinct
from analytics.leavers import guest_seat_mask, leaver_seat_mask
from analytics.model import Finding, Policy
from analytics.overlap_index import CapabilityIndex
from analytics.seats import SeatTable, build_seat_table
from analytics.unused import never_used_mask, unused_mask

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


def flagged_seat_mask(table: SeatTable, policy: Policy, today: date) -> npt.NDArray[np.bool_]:
    """Return the seats any seat finding (leaver, guest, unused, never used) flags."""
    return (
        leaver_seat_mask(table)
        | guest_seat_mask(table)
        | unused_mask(table, policy, today)[0]
        | never_used_mask(table, policy, today)[0]
    )


def find_overlaps(
    frames: Frames, policy: Policy, today: date, *, seats: SeatTable | None = None
) -> list[Finding]:
    """Find standalone apps a suite already covers, overlapping standalone apps and suites.

    Args:
        frames: The validated frames.
        policy: Seat thresholds (seats flagged by seat findings are not counted twice).
        today: The day of the analysis.
        seats: A seat table already built for ``frames``/``today`` (built if None).

    Returns:
        ``overlap`` and ``suite_overlap`` findings.
    """
    table = seats if seats is not None else build_seat_table(frames, today)
    idx = CapabilityIndex(frames, table, flagged_seat_mask(table, policy, today))
    counted: BoolArray = np.zeros(len(table), dtype=bool)
    findings = _suite_covers(idx, counted)
    findings += _standalone_pairs(idx, counted)
    findings += _suite_pairs(idx)
    return findings


def _grouped(keys: IntArray, values: IntArray) -> dict[int, IntArray]:
    """Return the distinct values of each key, ascending."""
    if len(keys) == 0:
        return {}
    order = np.lexsort((values, keys))
    keys, values = keys[order], values[order]
    distinct = np.ones(len(keys), dtype=bool)
    distinct[1:] = (keys[1:] != keys[:-1]) | (values[1:] != values[:-1])
    keys, values = keys[distinct], values[distinct]
    starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
    return dict(zip(keys[starts].tolist(), np.split(values, starts[1:]), strict=True))


def _savings(
    idx: CapabilityIndex, counted: IntArray, held: IntArray
) -> tuple[Decimal | None, str | None, list[Any]]:
    """Return ``idx.savings(counted)``; a zero saving keeps the currency of the held seats.

    When every seat is already flagged by a seat finding nothing is counted, and the
    saving is 0 — still an amount of money, so it carries the application's currency.
    """
    amount, currency, breakdown = idx.savings(counted)
    if amount is not None and currency is None and len(held) > 0:
        _, currency, _ = idx.savings(held[idx.paid[held]])
    return amount, currency, breakdown


def _suite_covers(idx: CapabilityIndex, counted: BoolArray) -> list[Finding]:
    pairs = idx.pairs
    cover = pairs[~pairs["a_suite"] & pairs["b_suite"]]
    if cover.empty:
        return []
    a = cover["a"].to_numpy()
    position, seat = idx.seats_of(cover["t"].to_numpy())
    seats_by_app = _grouped(a[position], seat)
    suites_by_app = _grouped(a, cover["b"].to_numpy())
    caps_by_app = _grouped(a, cover["cap"].to_numpy())
    findings: list[Finding] = []
    for dense, held in sorted(seats_by_app.items()):
        if not idx.paid[held].any():
            continue
        app = idx.app_ids[dense]
        suites = sorted(idx.app_ids[b] for b in suites_by_app[dense].tolist())
        saving = held[idx.paid[held] & ~idx.flagged[held]]
        counted[saving] = True
        amount, currency, breakdown = _savings(idx, saving, held)
        emails, truncated = idx.emails(held)
        findings.append(
            Finding(
                key=f"overlap:{app}",
                kind="overlap",
                severity="medium",
                application_id=app,
                product_id=None,
                subject=idx.app_name(app),
                evidence={
                    "application": idx.app_name(app),
                    "shared_capabilities": idx.cap_names(caps_by_app[dense].tolist()),
                    "suites": [idx.app_summary(s) for s in suites],
                    "people_using_application": idx.people_count([app]),
                    "people_using_suites": idx.people_count(suites),
                    "people_using_both": count_distinct(idx.person[held]),
                    "people_using_both_emails": emails,
                    "people_using_both_emails_truncated": truncated,
                    "seats_counted": len(saving),
                    "seats_left_out_already_flagged": int(
                        (idx.paid[held] & idx.flagged[held]).sum()
                    ),
                    "counted_seats_by_product": breakdown,
                },
                monthly_savings=amount,
                currency=currency,
            )
        )
    return findings


def _standalone_pairs(idx: CapabilityIndex, counted: BoolArray) -> list[Finding]:
    pairs = idx.pairs
    alone = pairs[~pairs["a_suite"] & ~pairs["b_suite"]]
    if alone.empty:
        return []
    a = alone["a"].to_numpy()
    b = alone["b"].to_numpy()
    n = idx.n_apps
    pair_code = np.minimum(a, b) * n + np.maximum(a, b)
    position, seat = idx.seats_of(alone["t"].to_numpy())
    seats_by_side = _grouped(pair_code[position] * n + a[position], seat)
    caps_by_pair = _grouped(pair_code, alone["cap"].to_numpy())
    empty = np.empty(0, dtype=np.int64)
    ordered = sorted(
        caps_by_pair, key=lambda code: sorted((idx.app_ids[code // n], idx.app_ids[code % n]))
    )
    findings: list[Finding] = []
    for code in ordered:
        sides = (code // n, code % n)
        held = {side: seats_by_side.get(code * n + side, empty) for side in sides}
        if not any(idx.paid[s].any() for s in held.values()):
            continue
        options = []
        for side, side_seats in held.items():
            paid = idx.paid[side_seats]
            flagged = paid & idx.flagged[side_seats]
            already = paid & ~idx.flagged[side_seats] & counted[side_seats]
            saving = side_seats[paid & ~flagged & ~already]
            amount, currency, breakdown = _savings(idx, saving, side_seats)
            app = idx.app_ids[side]
            rank = (idx.people_count([app]), amount if amount is not None else 0, app)
            left_out = {
                "seats_left_out_already_flagged": int(flagged.sum()),
                "seats_left_out_already_counted": int(already.sum()),
            }
            options.append((rank, app, saving, amount, currency, breakdown, left_out))
        _, smaller, saving, amount, currency, breakdown, left_out = min(options, key=lambda o: o[0])
        counted[saving] = True
        a_id, b_id = sorted(idx.app_ids[side] for side in sides)
        both = held[sides[0]]
        emails, truncated = idx.emails(both)
        findings.append(
            Finding(
                key=f"overlap:{a_id}:{b_id}",
                kind="overlap",
                severity="low",
                application_id=smaller,
                product_id=None,
                subject=f"{idx.app_name(a_id)} / {idx.app_name(b_id)}",
                evidence={
                    "applications": [idx.app_summary(a_id), idx.app_summary(b_id)],
                    "shared_capabilities": idx.cap_names(caps_by_pair[code].tolist()),
                    "smaller_application_id": smaller,
                    "people_using_both": count_distinct(idx.person[both]),
                    "people_using_both_emails": emails,
                    "people_using_both_emails_truncated": truncated,
                    "seats_counted": len(saving),
                    # Why a pair may save less than its seats: those of the smaller app
                    # already flagged by a seat finding, or already counted by an
                    # ``overlap:<app>`` finding or an earlier pair (never counted twice).
                    **left_out,
                    "counted_seats_by_product": breakdown,
                },
                monthly_savings=amount,
                currency=currency,
            )
        )
    return findings


def _suite_pairs(idx: CapabilityIndex) -> list[Finding]:
    pairs = idx.pairs
    both_suites = pairs[pairs["a_suite"] & pairs["b_suite"] & (pairs["a"] < pairs["b"])]
    people_by_pair = _grouped(
        both_suites["a"].to_numpy() * idx.n_apps + both_suites["b"].to_numpy(),
        both_suites["key"].to_numpy() // idx.n_caps,
    )
    findings: list[Finding] = []
    for (a_id, b_id), shared in idx.suite_overlaps():
        a_d, b_d = sorted((idx.app_dense[a_id], idx.app_dense[b_id]))
        findings.append(
            Finding(
                key=f"suite_overlap:{a_id}:{b_id}",
                kind="suite_overlap",
                severity="medium",
                application_id=a_id,
                product_id=None,
                subject=f"{idx.app_name(a_id)} / {idx.app_name(b_id)}",
                evidence={
                    "suites": [idx.app_summary(a_id), idx.app_summary(b_id)],
                    "shared_capabilities": sorted(shared),
                    "people_using_both": len(people_by_pair.get(a_d * idx.n_apps + b_d, ())),
                },
                monthly_savings=None,
                currency=None,
            )
        )
    return findings
