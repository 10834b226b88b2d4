"""Contract dates that need a decision: renewals, notice deadlines, duplicate contracts.

Days are whole calendar days, ``days = date - today``:

* ``renewal_due`` — not a trial, ``0 <= renewal_date - today <= renewal_horizon_days``
  (90). Severity: ``high`` ≤ 7 days, ``medium`` ≤ 30, else ``low``.
* ``notice_deadline`` — auto-renewing, deadline = ``renewal_date - notice_days`` (a null
  ``notice_days`` counts as 0: notice until the renewal day), and
  ``0 <= deadline - today <= notice_horizon_days`` (60). Severity: ``high`` ≤ 7 days,
  ``medium`` ≤ 30, else ``low``.
* ``notice_missed`` — auto-renewing, deadline before today while ``renewal_date >=
  today``. Severity ``high``.
* ``duplicate_subscription`` — two active contracts (start <= today <= end, nulls open)
  whose terms overlap, for the same product, or for the same application when neither
  names a product. A contract naming a product the inventory does not hold
  (``product_ref`` without ``product_id``) is the same product as another naming it
  alike (case-insensitive), within its application; it never stands for the whole
  application (an E3 and an E5 contract are not duplicates, synced or not). One
  finding per pair, key ids ascending; subject is the contract that started later
  (ties: higher id). Severity ``high``; savings None (which one to cancel is a human
  call), both contracts' monthly seat costs are in the evidence.

Keys carry the renewal date (``renewal_due:<id>:<renewal_date>``) so the next cycle's
renewal is a new finding rather than inheriting last year's dismissal. Contract
findings have ``monthly_savings`` None and the contract's currency.
"""

from __future__ import annotations

from datetime import date
from itertools import combinations

from analytics.contracts import Contract, is_active, iter_contracts
from analytics.frames import Frames, day_number, day_to_iso
from analytics.model import Finding, Policy, Severity


def _countdown_severity(days: int) -> Severity:
    if days <= 7:
        return "high"
    if days <= 30:
        return "medium"
    return "low"


def _finding(
    contract: Contract, kind: str, key: str, severity: Severity, extra: dict[str, object]
) -> Finding:
    return Finding(
        key=key,
        kind=kind,
        severity=severity,
        application_id=contract.application_id,
        product_id=contract.product_id,
        subject=contract.subject,
        evidence={**contract.evidence(), **extra},
        monthly_savings=None,
        currency=contract.currency,
        subscription_id=contract.subscription_id,
    )


def find_renewals(frames: Frames, policy: Policy, today: date) -> list[Finding]:
    """Find renewals and notice deadlines coming up, and notice deadlines missed.

    Args:
        frames: The validated frames (only ``subscriptions`` is read).
        policy: ``renewal_horizon_days`` and ``notice_horizon_days``.
        today: The day of the analysis.

    Returns:
        ``renewal_due``, ``notice_deadline`` and ``notice_missed`` findings.
    """
    now = day_number(today)
    findings: list[Finding] = []
    for c in iter_contracts(frames.subscriptions):
        if c.renewal is None:
            continue
        renewal_iso = c.evidence()["renewal_date"]
        until_renewal = c.renewal - now
        if not c.is_trial and 0 <= until_renewal <= policy.renewal_horizon_days:
            findings.append(
                _finding(
                    c,
                    "renewal_due",
                    f"renewal_due:{c.subscription_id}:{renewal_iso}",
                    _countdown_severity(until_renewal),
                    {
                        "days_until_renewal": until_renewal,
                        "renewal_horizon_days": policy.renewal_horizon_days,
                    },
                )
            )
        if not c.auto_renew:
            continue
        notice = c.notice_days if c.notice_days is not None else 0
        deadline = c.renewal - notice
        until_deadline = deadline - now
        extra: dict[str, object] = {
            "notice_deadline": day_to_iso(float(deadline)),
            "notice_days_applied": notice,
            "days_until_deadline": until_deadline,
            "days_until_renewal": until_renewal,
        }
        if 0 <= until_deadline <= policy.notice_horizon_days:
            extra["notice_horizon_days"] = policy.notice_horizon_days
            findings.append(
                _finding(
                    c,
                    "notice_deadline",
                    f"notice_deadline:{c.subscription_id}:{renewal_iso}",
                    _countdown_severity(until_deadline),
                    extra,
                )
            )
        elif until_deadline < 0 and until_renewal >= 0:
            findings.append(
                _finding(
                    c,
                    "notice_missed",
                    f"notice_missed:{c.subscription_id}:{renewal_iso}",
                    "high",
                    extra,
                )
            )
    return findings


def _overlap(a: Contract, b: Contract) -> bool:
    a_start = a.start if a.start is not None else -(10**9)
    b_start = b.start if b.start is not None else -(10**9)
    a_end = a.end if a.end is not None else 10**9
    b_end = b.end if b.end is not None else 10**9
    return a_start <= b_end and b_start <= a_end


def find_duplicate_subscriptions(frames: Frames, policy: Policy, today: date) -> list[Finding]:
    """Find pairs of active contracts with overlapping terms for the same thing.

    Args:
        frames: The validated frames (only ``subscriptions`` is read).
        policy: Unused here; part of the common rule signature.
        today: The day of the analysis.

    Returns:
        ``duplicate_subscription`` findings.
    """
    del policy
    now = day_number(today)
    groups: dict[tuple[str, int, str], list[Contract]] = {}
    for c in iter_contracts(frames.subscriptions):
        if not is_active(c, now):
            continue
        if c.product_id is not None:
            groups.setdefault(("product", c.product_id, ""), []).append(c)
        elif c.application_id is not None:
            ref = "" if c.product_ref is None else c.product_ref.casefold()
            groups.setdefault(("application", c.application_id, ref), []).append(c)
    findings: list[Finding] = []
    for (scope, scope_id, ref), contracts in sorted(groups.items()):
        contracts.sort(key=lambda c: c.subscription_id)
        for a, b in combinations(contracts, 2):
            if not _overlap(a, b):
                continue
            later = max(
                (a, b),
                key=lambda c: (c.start if c.start is not None else -(10**9), c.subscription_id),
            )
            other = a if later is b else b
            findings.append(
                Finding(
                    key=f"duplicate_subscription:{a.subscription_id}:{b.subscription_id}",
                    kind="duplicate_subscription",
                    severity="high",
                    application_id=later.application_id or other.application_id,
                    product_id=later.product_id,
                    subject=later.subject,
                    evidence={
                        "scope": scope,
                        f"{scope}_id": scope_id,
                        **({"product_ref": later.product_ref} if ref else {}),
                        "contract": later.evidence(),
                        "duplicates_contract": other.evidence(),
                    },
                    monthly_savings=None,
                    currency=later.currency,
                    subscription_id=later.subscription_id,
                )
            )
    return findings
