"""Google Workspace (issue 4) end to end: our own Google servers, the real CLI, exact figures."""

from __future__ import annotations

from typing import Any

import pytest

from tests.acceptance import google_server as gs
from tests.acceptance.company import ago, google_id
from tests.acceptance.conftest import Vendors, add_connector, as_json
from tests.acceptance.inventory_checks import accounts_by_id, assert_times, products_by_id

STD = "Google-Apps/1010020028"
STARTER = "Google-Apps/1010020027"
VAULT = "Google-Vault/Google-Vault"

EXPECTED_PRODUCTS = {
    # external id: (name = skuName, purchased (none until a contract), consumed = licence
    #               items, assigned = items matched to a directory user, active in 30 days)
    STD: ("Google Workspace Business Standard", None, 7, 6, 4),  # ghost@ has no account
    STARTER: ("Google Workspace Business Starter", None, 2, 2, 0),
    VAULT: ("Google Vault", None, 2, 2, 1),
}

# n: (email, display name, status, days since last login or None, products)
EXPECTED_ACCOUNTS: dict[int, tuple[str, str, str, float | None, list[str]]] = {
    1: ("ana@example.com", "Ana Ruiz", "active", 2, [STD, VAULT]),
    2: ("ben@example.com", "Ben Okafor", "suspended", 100, [STD]),
    3: ("cara@example.com", "Cara Lin", "suspended", 80, [STD]),  # archived
    4: ("eve@example.com", "Eve Stone", "active", None, [STARTER]),  # epoch = never
    5: ("finn@example.com", "Finn Moss", "active", 6, [STD]),
    6: ("gus@example.com", "Gus Patel", "active", 40, [STARTER]),
    7: ("hana@example.com", "Hana Kim", "active", 10, [STD]),
    8: ("ivan@example.com", "Ivan Petrov", "active", None, []),
    9: ("nora@example.com", "Nora Quinn", "active", 3, [STD]),
    10: ("otto@example.com", "Otto Reyes", "suspended", 200, [VAULT]),
}


def _synced(cli: Any, vendors: Vendors, **config: Any) -> Any:
    add_connector(cli, "google_workspace", "gws", vendors.google_config(**config))
    return as_json(cli("sync", "gws", "--json"))


def test_one_product_per_product_and_sku_read_with_documented_requests(
    cli: Any, fresh_vendors: Vendors
) -> None:
    runs = _synced(cli, fresh_vendors)
    assert runs[0]["status"] == "succeeded", runs
    products = products_by_id(as_json(cli("inventory", "products", "--json")), "gws")
    got = {
        pid: (
            p["name"],
            p["seats_purchased"],
            p["seats_consumed"],
            p["seats_assigned"],
            p["seats_active"],
        )
        for pid, p in products.items()
    }
    assert got == EXPECTED_PRODUCTS
    wider = products_by_id(
        as_json(cli("inventory", "products", "--json", "--active-days", "60")), "gws"
    )
    assert {pid: p["seats_active"] for pid, p in wider.items()} == {STD: 4, STARTER: 1, VAULT: 1}
    queries = fresh_vendors.google.queries
    users = [q for what, q in queries if what == "users"]
    assert len(users) == 3
    assert all(q["maxResults"] == "500" and q.get("customer") == "my_customer" for q in users)
    licences = [(what, q) for what, q in queries if what.startswith("licences:")]
    assert {what.split(":")[1] for what, _ in licences} == {
        "Google-Apps",
        "Google-Vault",
        "Google-Chrome-Device-Management",
    }
    assert all(q["maxResults"] == "1000" and q["customerId"] == "example.com" for _, q in licences)
    claims = fresh_vendors.google.assertions[-1]
    assert claims["sub"] == gs.SUBJECT and claims["iss"] == gs.CLIENT_EMAIL
    assert {gs.DIRECTORY_SCOPE, gs.LICENSING_SCOPE} <= set(claims["scope"].split())


def test_accounts_map_email_status_and_last_login(cli: Any, fresh_vendors: Vendors) -> None:
    _synced(cli, fresh_vendors)
    accounts = accounts_by_id(as_json(cli("inventory", "accounts", "--json")), "gws")
    assert set(accounts) == {google_id(n) for n in EXPECTED_ACCOUNTS}
    for n, (email, name, status, days, products) in EXPECTED_ACCOUNTS.items():
        account = accounts[google_id(n)]
        got = (
            account["email"],
            account["display_name"],
            account["status"],
            account["is_guest"],
            sorted(account["products"]),
        )
        assert got == (email, name, status, False, sorted(products)), n
        assert_times(account["last_active_at"], None if days is None else ago(days), n)


@pytest.mark.sqlite_only
def test_customer_id_is_passed_to_the_directory(cli: Any, fresh_vendors: Vendors) -> None:
    runs = _synced(cli, fresh_vendors, customer_id="C03az79cb")
    assert runs[0]["status"] == "succeeded", runs
    users = [q for what, q in fresh_vendors.google.queries if what == "users"]
    assert {q.get("customer") for q in users} == {"C03az79cb"}


@pytest.mark.sqlite_only
def test_subject_without_delegation_fails_the_connector_test(
    cli: Any, fresh_vendors: Vendors
) -> None:
    add_connector(
        cli, "google_workspace", "gws", fresh_vendors.google_config(subject="intruder@example.com")
    )
    result = cli("connector", "test", "gws")
    assert result.exit_code == 1
    assert "gws" in result.stderr or "unauthorized" in result.stderr.lower(), result.stderr
    synced = cli("sync", "gws")
    assert synced.exit_code == 1 and "gws" in synced.stderr


@pytest.mark.sqlite_only
def test_without_ca_bundle_the_private_ca_is_refused_with_a_hint(
    cli: Any, fresh_vendors: Vendors
) -> None:
    config = fresh_vendors.google_config()
    del config["ca_bundle"]
    add_connector(cli, "google_workspace", "gws", config)
    result = cli("sync", "gws")
    assert result.exit_code == 1
    assert "certificate" in result.stderr.lower() or "ca_bundle" in result.stderr, result.stderr


@pytest.mark.sqlite_only
def test_a_licence_removed_at_the_vendor_frees_the_seat_on_the_next_sync(
    cli: Any, fresh_vendors: Vendors
) -> None:
    _synced(cli, fresh_vendors)
    fresh_vendors.google.items = [
        i for i in fresh_vendors.google.items if i["userId"] != "nora@example.com"
    ]
    assert as_json(cli("sync", "gws", "--json"))[0]["status"] == "succeeded"
    std = products_by_id(as_json(cli("inventory", "products", "--json")), "gws")[STD]
    assert (std["seats_consumed"], std["seats_assigned"], std["seats_active"]) == (6, 5, 3)


@pytest.mark.sqlite_only
def test_per_user_rate_limit_403_is_retried(cli: Any, fresh_vendors: Vendors) -> None:
    fresh_vendors.google.rate_limited = 2
    runs = _synced(cli, fresh_vendors)
    assert runs[0]["status"] == "succeeded", runs
    assert len(accounts_by_id(as_json(cli("inventory", "accounts", "--json")), "gws")) == 10
