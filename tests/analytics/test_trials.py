"""trial_ending."""

from __future__ import annotations

from datetime import timedelta

import pytest

from analytics.model import Policy
from analytics.trials import find_trials_ending
from tests.analytics.company import TODAY, Company


@pytest.mark.parametrize(
    ("days", "severity"),
    [(-1, None), (0, "high"), (3, "high"), (4, "medium"), (14, "medium"), (15, None)],
)
def test_trial_ending_within_14_days(company: Company, days: int, severity: str | None) -> None:
    app = company.app("Miro")
    end = TODAY + timedelta(days=days)
    company.contract(application_id=app, end=end, is_trial=True, number="TR-1")
    found = find_trials_ending(company.frames(), Policy(), TODAY)
    assert [f.severity for f in found] == ([severity] if severity else [])
    if found:
        assert found[0].key == f"trial_ending:1:{end.isoformat()}"
        assert found[0].subject == "TR-1"
        assert found[0].evidence["days_left"] == days


def test_paid_subscription_is_not_a_trial_ending(company: Company) -> None:
    app = company.app("Miro")
    company.contract(application_id=app, end=TODAY + timedelta(days=3))
    assert find_trials_ending(company.frames(), Policy(), TODAY) == []


def test_trial_without_end_date_ends_on_its_renewal_date(company: Company) -> None:
    app = company.app("Miro")
    company.contract(application_id=app, end=None, renewal=TODAY + timedelta(days=5), is_trial=True)
    [finding] = find_trials_ending(company.frames(), Policy(), TODAY)
    assert finding.evidence["trial_end_source"] == "renewal_date"
