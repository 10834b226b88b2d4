"""Slack (issue 4) end to end: our own Slack Web API server, the real CLI, exact figures."""

from __future__ import annotations

from typing import Any

import pytest

from tests.acceptance import slack_server as ss
from tests.acceptance.company import slack_epoch
from tests.acceptance.conftest import Vendors, add_connector, as_json
from tests.acceptance.inventory_checks import accounts_by_id, assert_times, products_by_id

TEAM = "T0ACME"

# id: (email, display name, status, is_guest, days since last access or None, products)
EXPECTED_ACCOUNTS: dict[str, tuple[str | None, str, str, bool, float | None, list[str]]] = {
    "U01ANA": ("ana@example.com", "Ana Ruiz", "active", False, 1, [TEAM]),
    "U02BEN": ("ben@example.com", "Ben Okafor", "deleted", False, 2, []),
    "U03CARA": ("cara@example.com", "Cara Lin", "active", False, 50, [TEAM]),
    "U04DAN": ("dan@partner.example", "Dan Berg", "active", True, None, []),
    "U05EVE": (None, "Eve Stone", "active", False, 3, [TEAM]),
    "U06FINN": ("finn@example.com", "Finn Moss", "active", True, 20, [TEAM]),
    "U07JO": ("jo@example.com", "Jo Park", "active", False, 31, [TEAM]),
    "U08PAT": ("pat@example.com", "Pat Lee", "active", False, None, [TEAM]),
    "U09ROB": ("rob@example.com", "Rob Hall", "active", False, None, []),
}


def _synced(cli: Any, vendors: Vendors, name: str = "slack", **config: Any) -> Any:
    add_connector(cli, "slack", name, vendors.slack_config(**config))
    return as_json(cli("sync", name, "--json"))


def test_one_product_per_workspace_counting_billable_members_from_every_page(
    cli: Any, fresh_vendors: Vendors
) -> None:
    runs = _synced(cli, fresh_vendors)
    assert runs[0]["status"] == "succeeded", runs
    products = products_by_id(as_json(cli("inventory", "products", "--json")), "slack")
    assert list(products) == [TEAM]
    product = products[TEAM]
    assert product["name"].startswith("Slack") and "Acme" in product["name"], product["name"]
    # billable: Ana, Cara, Eve, Finn, Jo, Pat; active within 30 days: Ana, Eve, Finn
    got = (product["seats_consumed"], product["seats_assigned"], product["seats_active"])
    assert got == (6, 6, 3)
    wider = products_by_id(
        as_json(cli("inventory", "products", "--json", "--active-days", "60")), "slack"
    )
    assert wider[TEAM]["seats_active"] == 5  # Cara (50 d) and Jo (31 d) join
    assert any("users:read.email" in w for w in runs[0]["warnings"]), runs[0]["warnings"]

    calls = fresh_vendors.slack.calls
    users = [args for method, args in calls if method == "users.list"]
    assert len(users) == 3 and all(a["limit"] == "200" for a in users)
    logs = [args for method, args in calls if method == "team.accessLogs"]
    assert len(logs) == 4  # 10 entries, 3 to a page
    assert {m for m, _ in calls} >= {"auth.test", "team.billableInfo"}


def test_members_become_accounts_without_bots_and_slackbot(
    cli: Any, fresh_vendors: Vendors
) -> None:
    _synced(cli, fresh_vendors)
    accounts = accounts_by_id(as_json(cli("inventory", "accounts", "--json")), "slack")
    assert set(accounts) == set(EXPECTED_ACCOUNTS)
    for uid, (email, name, status, guest, days, products) in EXPECTED_ACCOUNTS.items():
        account = accounts[uid]
        got = (
            account["email"],
            account["display_name"],
            account["status"],
            account["is_guest"],
            sorted(account["products"]),
        )
        assert got == (email, name, status, guest, sorted(products)), uid
        assert_times(account["last_active_at"], None if days is None else slack_epoch(days), uid)


@pytest.mark.sqlite_only
def test_free_workspace_syncs_with_activity_unknown_and_a_warning(
    cli: Any, fresh_vendors: Vendors
) -> None:
    runs = _synced(cli, fresh_vendors, name="free", token=ss.FREE_TOKEN)
    assert runs[0]["status"] == "succeeded", runs
    assert runs[0]["warnings"], "paid_only must leave a warning on the run"
    accounts = accounts_by_id(as_json(cli("inventory", "accounts", "--json")), "free")
    assert set(accounts) == {"U1FREEA", "U1FREEB"}
    assert all(a["last_active_at"] is None for a in accounts.values())
    product = products_by_id(as_json(cli("inventory", "products", "--json")), "free")["T0FREE"]
    assert (product["seats_consumed"], product["seats_assigned"]) == (2, 2)


@pytest.mark.sqlite_only
def test_rate_limited_method_is_retried_after_retry_after(cli: Any, fresh_vendors: Vendors) -> None:
    fresh_vendors.slack.throttle = {"users.list": 1}
    runs = _synced(cli, fresh_vendors)
    assert runs[0]["status"] == "succeeded", runs
    assert len(accounts_by_id(as_json(cli("inventory", "accounts", "--json")), "slack")) == 9


@pytest.mark.sqlite_only
def test_revoked_token_fails_the_connector_test(cli: Any, fresh_vendors: Vendors) -> None:
    add_connector(cli, "slack", "slack", fresh_vendors.slack_config(token="xoxp-revoked"))
    result = cli("connector", "test", "slack")
    assert result.exit_code == 1
    assert "invalid_auth" in result.stderr or "token" in result.stderr.lower(), result.stderr
    assert cli("sync", "slack").exit_code == 1


@pytest.mark.sqlite_only
def test_one_failing_connector_fails_the_command_but_not_the_others(
    cli: Any, fresh_vendors: Vendors
) -> None:
    add_connector(cli, "slack", "acme", fresh_vendors.slack_config())
    add_connector(cli, "slack", "revoked", fresh_vendors.slack_config(token="xoxp-revoked"))
    result = cli("sync", "acme", "revoked")
    assert result.exit_code == 1
    assert "revoked" in result.stderr and "acme" not in result.stderr, result.stderr
    assert len(accounts_by_id(as_json(cli("inventory", "accounts", "--json")), "acme")) == 9
