"""Trials about to end: ``trial_ending``.

A trial subscription (``is_trial``) whose ``end_date`` (or, without one, its
``renewal_date``) is ``0 <= end - today <= trial_horizon_days`` (14) days away.
Severity ``high`` within 3 days, else ``medium``. Key ``trial_ending:<id>:<end_date>``;
subject the contract number; savings None.
"""

from __future__ import annotations

from datetime import date

from analytics.contracts import iter_contracts
from analytics.frames import Frames, day_number, day_to_iso
from analytics.model import Finding, Policy


def find_trials_ending(frames: Frames, policy: Policy, today: date) -> list[Finding]:
    """Find trial subscriptions ending soon.

    Args:
        frames: The validated frames (only ``subscriptions`` is read).
        policy: ``trial_horizon_days``.
        today: The day of the analysis.

    Returns:
        ``trial_ending`` findings.
    """
    now = day_number(today)
    findings: list[Finding] = []
    for c in iter_contracts(frames.subscriptions):
        end = c.end if c.end is not None else c.renewal
        if not c.is_trial or end is None:
            continue
        days_left = end - now
        if not 0 <= days_left <= policy.trial_horizon_days:
            continue
        end_iso = day_to_iso(float(end))
        findings.append(
            Finding(
                key=f"trial_ending:{c.subscription_id}:{end_iso}",
                kind="trial_ending",
                severity="high" if days_left <= 3 else "medium",
                application_id=c.application_id,
                product_id=c.product_id,
                subject=c.subject,
                evidence={
                    **c.evidence(),
                    "trial_ends_on": end_iso,
                    "trial_end_source": "end_date" if c.end is not None else "renewal_date",
                    "days_left": days_left,
                    "trial_horizon_days": policy.trial_horizon_days,
                },
                monthly_savings=None,
                currency=c.currency,
                subscription_id=c.subscription_id,
            )
        )
    return findings
