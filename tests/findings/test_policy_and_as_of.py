"""Policies (global and per application) and the analysis day drive the rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from app.core.errors import InvalidInputError, NotFoundError
from app.core.settings import Settings
from app.findings import policies
from app.findings.models import Finding
from app.findings.service import analyze
from tests.findings.company import build_company
from tests.findings.factories import TODAY

SETTINGS = Settings(environment="test", secret_key="k" * 40)


def _open_kinds(session: Session) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in session.exec(select(Finding).where(Finding.status != "resolved")):
        counts[f.kind] = counts.get(f.kind, 0) + 1
    return counts


def test_application_override_of_inactive_days_changes_results(session: Session) -> None:
    build_company(session)
    analyze(session=session, settings=SETTINGS, today=TODAY)
    assert _open_kinds(session)["unused_seat"] == 1
    policies.set_policy(session=session, application="microsoft 365", inactive_days=150)
    summary = analyze(session=session, settings=SETTINGS, today=TODAY)
    assert "unused_seat" not in _open_kinds(session) and summary.resolved == 1


def test_global_policy_row_overrides_the_settings_default(session: Session) -> None:
    build_company(session)
    policies.set_policy(session=session, never_used_grace_days=90)
    analyze(session=session, settings=SETTINGS, today=TODAY)
    assert "never_used_seat" not in _open_kinds(session)
    rows = policies.list_policies(session=session, settings=SETTINGS)
    assert rows[0].never_used_grace_days == 90 and rows[0].inactive_days == 90
    assert rows[0].source == "database"


def test_settings_are_the_default_policy(session: Session) -> None:
    build_company(session)
    strict = Settings(environment="test", secret_key="k" * 40, inactive_days=200)
    analyze(session=session, settings=strict, today=TODAY)
    assert "unused_seat" not in _open_kinds(session)
    assert policies.list_policies(session=session, settings=strict)[0].source == "settings"


def test_policy_for_unknown_application_names_it(session: Session) -> None:
    with pytest.raises(NotFoundError, match="'Nope'"):
        policies.set_policy(session=session, application="Nope", inactive_days=30)


@pytest.mark.parametrize("days", [0, -5])
def test_policy_refuses_non_positive_days(session: Session, days: int) -> None:
    with pytest.raises(InvalidInputError, match="positive"):
        policies.set_policy(session=session, inactive_days=days)


def test_as_of_drives_every_rule(session: Session) -> None:
    planted = build_company(session)
    earlier = TODAY - timedelta(days=45)
    analyze(session=session, settings=SETTINGS, today=earlier)
    kinds = _open_kinds(session)
    # 75 days inactive, created 15 days before: neither unused nor never used yet.
    assert "unused_seat" not in kinds and "never_used_seat" not in kinds
    # The trial ends 52 days later (beyond 14); R-1 renews in 75 days (within 90).
    assert "trial_ending" not in kinds and kinds["renewal_due"] == 1
    # M-1's notice deadline is 25 days ahead (not missed yet); N-1's 75 (beyond 60).
    missed = next(k for k in planted.expected if k.startswith("notice_missed:"))
    deadlines = [
        f.key for f in session.exec(select(Finding).where(Finding.kind == "notice_deadline"))
    ]
    assert "notice_missed" not in kinds
    assert deadlines == [missed.replace("notice_missed", "notice_deadline")]
    later = analyze(session=session, settings=SETTINGS, today=TODAY)
    assert later.counts == {
        kind: sum(1 for k in planted.expected if k.split(":")[0] == kind) for kind in later.counts
    }
    assert sum(later.counts.values()) == len(planted.expected)


def test_renewal_horizon_follows_the_furthest_renewal_alert_day(session: Session) -> None:
    build_company(session)
    short = Settings(environment="test", secret_key="k" * 40, renewal_alert_days=[20, 7])
    analyze(session=session, settings=short, today=TODAY)
    assert "renewal_due" not in _open_kinds(session)
    analyze(session=session, settings=SETTINGS, today=TODAY)
    assert _open_kinds(session)["renewal_due"] == 1
