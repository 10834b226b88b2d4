"""Slack connector against the HTTPS Slack sandbox on 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from pydantic import ValidationError

from connectors.base import (
    AccountRecord,
    AssignmentRecord,
    ConnectorAuthError,
    ConnectorDataError,
    ConnectorPermissionError,
    ConnectorRateLimited,
    ConnectorUnavailable,
    ProductRecord,
    Record,
    SyncWarning,
)
from connectors.slack import SlackConfig, SlackConnector
from tests.connectors.conftest import SandboxHandle, fresh_faults, private_sandbox

Sandbox = SandboxHandle


@pytest.fixture(scope="module")
def slack_sandbox() -> Iterator[Sandbox]:
    yield from private_sandbox("slack", seed=42, size=200)


@pytest.fixture(autouse=True)
def _clean_faults(slack_sandbox: Sandbox) -> Iterator[None]:
    yield from fresh_faults(slack_sandbox)


def connector(sandbox: Sandbox, *, max_retries: int = 5, **overrides: Any) -> SlackConnector:
    config = SlackConfig.model_validate({**sandbox.config, **overrides})
    return SlackConnector(config, max_retries=max_retries, max_wait=5)


def sync(sandbox: Sandbox, **overrides: Any) -> list[Record]:
    return list(connector(sandbox, **overrides).fetch())


def accounts(records: list[Record]) -> dict[str, AccountRecord]:
    return {r.external_id: r for r in records if isinstance(r, AccountRecord)}


def members(sandbox: Sandbox) -> list[Any]:
    return [p for p in sandbox.simulator.company.persons if p.slack is not None]


def humans(sandbox: Sandbox) -> list[Any]:
    return [p for p in members(sandbox) if not p.slack.is_bot]


# ----------------------------------------------------------------------------- records


def test_one_product_per_workspace_named_after_it_with_billable_seats(
    slack_sandbox: Sandbox,
) -> None:
    records = sync(slack_sandbox)
    products = [r for r in records if isinstance(r, ProductRecord)]
    assert isinstance(records[0], ProductRecord) and len(products) == 1
    product = products[0]
    assert product.external_id == slack_sandbox.simulator.team_id
    assert product.name == f"Slack {slack_sandbox.simulator.company.name}"
    assert product.seats_purchased is None
    assert product.seats_consumed == sum(p.slack.billing_active for p in humans(slack_sandbox))


def test_bots_and_slackbot_are_not_accounts(slack_sandbox: Sandbox) -> None:
    found = accounts(sync(slack_sandbox))
    assert "USLACKBOT" not in found
    assert set(found) == {p.slack.user_id for p in humans(slack_sandbox)}
    assert any(p.slack.is_bot for p in members(slack_sandbox))


def test_guest_deleted_admin_and_lower_cased_email_follow_slack_flags(
    slack_sandbox: Sandbox,
) -> None:
    found = accounts(sync(slack_sandbox))
    for p in humans(slack_sandbox):
        s, account = p.slack, found[p.slack.user_id]
        assert account.is_guest == (s.is_restricted or s.is_ultra_restricted)
        assert account.status == ("deleted" if s.deleted else "active")
        assert account.email == (s.email.lower() if s.email else None)
    assert any(a.is_guest for a in found.values()) and any(a.is_admin for a in found.values())
    assert any(a.status == "deleted" for a in found.values())


def test_a_seat_is_assigned_to_each_billing_active_member_only(slack_sandbox: Sandbox) -> None:
    records = sync(slack_sandbox)
    seated = {r.account_external_id for r in records if isinstance(r, AssignmentRecord)}
    assert seated == {p.slack.user_id for p in humans(slack_sandbox) if p.slack.billing_active}


def test_last_active_is_the_latest_access_log_date(slack_sandbox: Sandbox) -> None:
    found = accounts(sync(slack_sandbox))
    for p in humans(slack_sandbox):
        expected = max(p.slack.access_log_last) if p.slack.access_log_last else None
        assert found[p.slack.user_id].last_active_at == expected
        assert found[p.slack.user_id].activity_known


def test_members_paged_by_200_and_access_logs_paged_to_the_last_page(
    slack_sandbox: Sandbox,
) -> None:
    slack_sandbox.simulator.faults.max_log_count = 25
    found = accounts(sync(slack_sandbox))
    seen = list(slack_sandbox.simulator.requests)
    assert {q.get("limit") for m, q in seen if m == "users.list"} == {"200"}
    pages = [int(q["page"]) for m, q in seen if m == "team.accessLogs"]
    total = sum(len(p.slack.access_log_last) for p in humans(slack_sandbox))
    assert pages == list(range(1, -(-total // 25) + 1))
    assert sum(a.last_active_at is not None for a in found.values()) == sum(
        bool(p.slack.access_log_last) for p in humans(slack_sandbox)
    )


def test_access_logs_past_the_page_limit_warn_and_mark_unseen_activity_unknown(
    slack_sandbox: Sandbox,
) -> None:
    slack_sandbox.simulator.faults.max_log_count = 10
    slack_sandbox.simulator.faults.max_log_page = 2
    records = sync(slack_sandbox)
    warnings = [r.message for r in records if isinstance(r, SyncWarning)]
    assert any("over_pagination_limit" in w for w in warnings)
    found = accounts(records).values()
    assert any(not a.activity_known and a.last_active_at is None for a in found)
    assert all(a.activity_known for a in found if a.last_active_at is not None)


def test_paid_only_workspace_syncs_with_activity_unknown_and_a_warning(
    slack_sandbox: Sandbox,
) -> None:
    slack_sandbox.simulator.faults.paid_only = True
    records = sync(slack_sandbox)
    assert any("paid_only" in r.message for r in records if isinstance(r, SyncWarning))
    found = accounts(records).values()
    assert found and all(not a.activity_known and a.last_active_at is None for a in found)
    assert any(isinstance(r, AssignmentRecord) for r in records)


def test_members_without_email_give_one_warning_naming_the_scope(slack_sandbox: Sandbox) -> None:
    slack_sandbox.simulator.faults.missing_scopes = ["users:read.email"]
    records = sync(slack_sandbox)
    warnings = [r.message for r in records if isinstance(r, SyncWarning)]
    assert len(warnings) == 1 and "users:read.email" in warnings[0]
    assert str(len(humans(slack_sandbox))) in warnings[0]


def test_check_names_the_workspace(slack_sandbox: Sandbox) -> None:
    summary = connector(slack_sandbox).check()
    assert slack_sandbox.simulator.company.name in summary
    assert slack_sandbox.simulator.team_id in summary


# ----------------------------------------------------------------------------- faults


def test_invalid_auth_is_an_auth_error(slack_sandbox: Sandbox) -> None:
    with pytest.raises(ConnectorAuthError, match="invalid_auth"):
        connector(slack_sandbox, token="xoxp-1-wrong").check()


def test_revoked_token_mid_sync_is_an_auth_error(slack_sandbox: Sandbox) -> None:
    slack_sandbox.simulator.faults.invalid_auth = True
    with pytest.raises(ConnectorAuthError, match="reinstall"):
        sync(slack_sandbox)


def test_missing_admin_scope_is_a_permission_error_naming_it(slack_sandbox: Sandbox) -> None:
    slack_sandbox.simulator.faults.missing_scopes = ["admin"]
    with pytest.raises(ConnectorPermissionError, match="admin scope") as caught:
        sync(slack_sandbox)
    assert caught.value.missing == "admin"


def test_ratelimited_call_is_retried_after_retry_after(slack_sandbox: Sandbox) -> None:
    slack_sandbox.simulator.faults.ratelimited = 1
    slack_sandbox.simulator.faults.retry_after = 1
    started = time.monotonic()
    records = sync(slack_sandbox)
    assert time.monotonic() - started >= 1
    assert any(isinstance(r, ProductRecord) for r in records)
    assert slack_sandbox.simulator.faults.ratelimited == 0


def test_ratelimited_past_the_budget_raises_rate_limited_with_retry_after(
    slack_sandbox: Sandbox,
) -> None:
    slack_sandbox.simulator.faults.ratelimited = 5
    slack_sandbox.simulator.faults.retry_after = 30  # beyond max_wait: do not sleep it out
    with pytest.raises(ConnectorRateLimited) as caught:
        sync(slack_sandbox)
    assert caught.value.retry_after == 30
    assert str(caught.value) == (
        "Slack rate-limited team.billableInfo: it asked to wait 30 s, longer than a sync "
        "waits (5 s). Sync again later."
    )


def test_a_rate_limit_that_never_lifts_says_how_often_it_was_retried(
    slack_sandbox: Sandbox,
) -> None:
    slack_sandbox.simulator.faults.ratelimited = 100
    slack_sandbox.simulator.faults.retry_after = 0
    with pytest.raises(ConnectorRateLimited, match="kept rate-limiting it past 2 retries"):
        list(connector(slack_sandbox, max_retries=2).fetch())


def test_outage_is_unavailable(slack_sandbox: Sandbox) -> None:
    slack_sandbox.simulator.faults.server_errors = 10
    with pytest.raises(ConnectorUnavailable, match="503"):
        connector(slack_sandbox).check()


@pytest.mark.parametrize("fault", ["malformed", "truncated"])
def test_answer_that_is_not_json_is_a_data_error(slack_sandbox: Sandbox, fault: str) -> None:
    setattr(slack_sandbox.simulator.faults, fault, 2)  # auth.test's is let pass (optional)
    with pytest.raises(ConnectorDataError, match=r"Slack answered \S+ with something that is not"):
        sync(slack_sandbox)


def test_untrusted_certificate_points_at_ca_bundle(slack_sandbox: Sandbox) -> None:
    with pytest.raises(ConnectorUnavailable, match="ca_bundle"):
        connector(slack_sandbox, ca_bundle=None).check()


def test_empty_token_and_unknown_key_are_refused(slack_sandbox: Sandbox) -> None:
    with pytest.raises(ValidationError, match="token"):
        SlackConfig.model_validate({**slack_sandbox.config, "token": " "})
    with pytest.raises(ValidationError, match="extra"):
        SlackConfig.model_validate({**slack_sandbox.config, "workspace": "x"})


# ----------------------------------------------------------------------------- sandbox


def test_sandbox_answers_get_and_post_in_the_ok_envelope(slack_sandbox: Sandbox) -> None:
    url, ca = f"{slack_sandbox.url}/api/users.list", slack_sandbox.ca_path
    token = slack_sandbox.simulator.token
    by_get = requests.get(url, params={"token": token, "limit": "2"}, verify=ca, timeout=10)
    by_post = requests.post(
        url,
        data={"limit": 2},
        headers={"Authorization": f"Bearer {token}"},
        verify=ca,
        timeout=10,
    )
    assert by_get.json()["members"] == by_post.json()["members"]
    assert by_get.json()["response_metadata"]["next_cursor"]
    anonymous = requests.post(url, verify=ca, timeout=10)
    assert anonymous.status_code == 200 and anonymous.json() == {"ok": False, "error": "not_authed"}


def test_sandbox_rate_limit_sends_429_with_retry_after(slack_sandbox: Sandbox) -> None:
    slack_sandbox.simulator.faults.ratelimited = 1
    answer = requests.post(
        f"{slack_sandbox.url}/api/auth.test",
        data={"token": slack_sandbox.simulator.token},
        verify=slack_sandbox.ca_path,
        timeout=10,
    )
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "1"
    assert answer.json() == {"ok": False, "error": "ratelimited"}


# ------------------------------------------------------- a server with documented methods only


def test_a_server_without_auth_test_syncs_from_the_documented_methods(
    slack_sandbox: Sandbox,
) -> None:
    """auth.test is not among the methods a Slack-compatible server must offer: the
    workspace's id then comes from the members' team_id, and nothing else changes."""
    full = sync(slack_sandbox)
    slack_sandbox.simulator.faults.no_auth_test = True
    bare = sync(slack_sandbox)
    product = bare[0]
    assert isinstance(product, ProductRecord)
    assert product.external_id == slack_sandbox.simulator.team_id
    assert product.name == "Slack"  # the workspace's name only auth.test tells
    assert bare[1:] == full[1:]


def test_check_without_auth_test_still_proves_both_scopes(slack_sandbox: Sandbox) -> None:
    slack_sandbox.simulator.faults.no_auth_test = True
    summary = connector(slack_sandbox).check()
    assert summary == (
        f"Signed in to Slack workspace ({slack_sandbox.simulator.team_id}); members and "
        "billing are readable."
    )
    slack_sandbox.simulator.faults.missing_scopes = ["admin"]
    with pytest.raises(ConnectorPermissionError, match="admin"):
        connector(slack_sandbox).check()


def test_a_revoked_token_is_named_even_though_auth_test_is_optional(
    slack_sandbox: Sandbox,
) -> None:
    slack_sandbox.simulator.faults.invalid_auth = True
    with pytest.raises(ConnectorAuthError, match="invalid_auth"):
        sync(slack_sandbox)


def test_billed_users_missing_from_the_member_list_are_warned_about(
    slack_sandbox: Sandbox,
) -> None:
    slack_sandbox.simulator.faults.unlisted_billed = 2
    records = sync(slack_sandbox)
    billed = [p.slack.user_id for p in humans(slack_sandbox) if p.slack.billing_active]
    warnings = [r.message for r in records if isinstance(r, SyncWarning) and "billed" in r.message]
    assert warnings == [
        f"2 billed Slack seat(s) belong to users that users.list does not list "
        f"({', '.join(sorted(billed[:2]))}): they count in the seats consumed, but no "
        "account holds them."
    ]
    assert not set(billed[:2]) & set(accounts(records))
