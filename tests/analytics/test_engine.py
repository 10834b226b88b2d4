"""run_all: every rule together, no seat counted twice, stable keys, JSON evidence."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from decimal import Decimal

import pytest

from analytics.engine import ApplicationPolicy, Finding, Policy, deduplicate, run_all
from analytics.model import new_finding
from tests.analytics.company import TODAY, Company, days_ago


def _company() -> Company:
    company = Company()
    m365 = company.app("Microsoft 365", is_suite=True, capabilities="email|team_chat")
    e3 = company.product(m365, "E3", list_price="36.00", seats_purchased=10, seats_consumed=4)
    slack = company.app("Slack", capabilities="team_chat")
    pro = company.product(slack, "PRO", list_price="8.75")
    company.contract(
        application_id=m365,
        product_id=e3,
        unit_price=432,
        renewal=date(2026, 12, 31),
        auto_renew=True,
        notice_days=30,
    )
    company.person("left@example.com", idp_status="deleted")
    accounts = {
        "active": company.account("active@example.com", last_active_at=days_ago(1)),
        "idle": company.account("idle@example.com", last_active_at=days_ago(200)),
        "left": company.account("left@example.com", last_active_at=days_ago(200)),
        "guest_left": company.account(
            "guest@partner.com", is_guest=True, status="suspended", last_active_at=None
        ),
    }
    for account in accounts.values():
        company.assign(account, e3)
        company.assign(account, pro)
    return company


def test_run_all_counts_each_seat_once() -> None:
    result = run_all(_company().frames(), Policy(), TODAY)
    seat_kinds = {"leaver_seat", "guest_paid_seat", "unused_seat", "never_used_seat"}
    seats = [(f.account_id, f.product_id) for f in result.findings if f.kind in seat_kinds]
    assert len(seats) == len(set(seats)) == 6
    kinds = sorted(f.kind for f in result.findings if f.kind in seat_kinds)
    assert kinds == ["leaver_seat"] * 4 + ["unused_seat"] * 2


def test_run_all_overlap_savings_leave_out_flagged_seats() -> None:
    result = run_all(_company().frames(), Policy(), TODAY)
    [overlap] = [f for f in result.findings if f.kind == "overlap"]
    assert overlap.monthly_savings == Decimal("8.75")  # only the active person's Slack seat
    assert overlap.evidence["seats_left_out_already_flagged"] == 3


def test_run_all_reports_every_kind_with_exact_money() -> None:
    result = run_all(_company().frames(), Policy(), TODAY)
    by_kind = {f.kind: f for f in result.findings}
    assert set(by_kind) >= {
        "leaver_seat",
        "unused_seat",
        "overlap",
        "unassigned_seats",
        "renewal_due",
        "notice_deadline",
    }
    assert by_kind["unused_seat"].monthly_savings in {Decimal("36.00"), Decimal("8.75")}
    assert by_kind["unassigned_seats"].monthly_savings == Decimal("216.00")  # 6 x 432/12
    assert set(result.timings) >= {"seats", "leavers", "unused", "overlap", "renewals"}


def test_run_all_keys_are_stable_across_runs() -> None:
    first = run_all(_company().frames(), Policy(), TODAY)
    second = run_all(_company().frames(), Policy(), TODAY)
    assert [f.key for f in first.findings] == [f.key for f in second.findings]
    assert first.findings == second.findings
    keys = [f.key for f in first.findings]
    assert len(keys) == len(set(keys))
    assert "unused_seat:2:1" in keys
    assert "leaver_seat:3:2" in keys


def test_findings_evidence_is_json_serialisable() -> None:
    result = run_all(_company().frames(), Policy(), TODAY)
    for finding in result.findings:
        json.dumps(finding.evidence)
        assert (
            finding.monthly_savings is None
            or finding.monthly_savings == finding.monthly_savings.quantize(Decimal("0.01"))
        )


def test_findings_are_frozen() -> None:
    finding = run_all(_company().frames(), Policy(), TODAY).findings[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.key = "other"  # type: ignore[misc]


def test_new_finding_builds_the_same_frozen_finding() -> None:
    args = ("k", "unused_seat", "low", 1, 2, "a@example.com", {"x": 1}, Decimal("1.00"), "USD", 3)
    fast = new_finding(*args)  # type: ignore[arg-type]
    assert type(fast) is Finding
    assert fast == Finding(*args)  # type: ignore[arg-type]
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.kind = "x"  # type: ignore[misc]


def test_deduplicate_keeps_the_strongest_seat_finding_and_unique_keys() -> None:
    def seat(kind: str) -> Finding:
        return Finding(f"{kind}:1:2", kind, "low", 1, 2, "a@x", {}, None, None, account_id=1)

    other = Finding("renewal_due:1", "renewal_due", "low", 1, None, "C-1", {}, None, None)
    out = deduplicate([seat("unused_seat"), seat("leaver_seat"), other, other])
    assert [f.key for f in out] == ["leaver_seat:1:2", "renewal_due:1"]


def test_policy_rejects_negative_thresholds() -> None:
    with pytest.raises(
        ValueError, match=r"Policy\.inactive_days must be a non-negative int, got -1$"
    ):
        Policy(inactive_days=-1)
    with pytest.raises(ValueError, match=r"ApplicationPolicy\.inactive_days"):
        ApplicationPolicy(inactive_days=-5)
    with pytest.raises(ValueError, match="must be an ApplicationPolicy"):
        Policy(per_application={1: 30})  # type: ignore[dict-item]
