"""Microsoft 365 (issue 3) end to end: our own Graph server, the real CLI, exact figures."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.acceptance import graph_server as g
from tests.acceptance.company import E3, PBI, VISIO, ago, graph_id
from tests.acceptance.conftest import Vendors, add_connector, as_json
from tests.acceptance.inventory_checks import accounts_by_id, assert_times, products_by_id

EXPECTED_PRODUCTS = {
    # skuId: (sku, purchased = prepaidUnits.enabled, consumed = consumedUnits,
    #         assigned = users holding it, active = holders seen within 30 days)
    E3: ("ENTERPRISEPACK", 12, 10, 9, 4),  # active: Ana 1d, Finn 2d, Lea 20d, Ivan 29d
    PBI: ("POWER_BI_STANDARD", 1000000, 2, 2, 2),  # Ana 1d, Gus 12d
    VISIO: ("VISIOCLIENT", 5, 0, 0, 0),
}

# n: (email, display name, status, is_guest, days since last activity or None, products)
EXPECTED_ACCOUNTS: dict[int, tuple[str, str, str, bool, float | None, list[str]]] = {
    1: ("ana@example.com", "Ana Ruiz", "active", False, 1, [E3, PBI]),
    2: ("ben@example.com", "Ben Okafor", "active", False, 40, [E3]),
    3: ("cara@example.com", "Cara Lin", "suspended", False, 70, [E3]),
    4: ("dan@partner.example", "Dan Berg", "active", True, 10, []),
    5: ("eve@example.com", "Eve Stone", "active", False, None, [E3]),
    6: ("finn@example.com", "Finn Moss", "active", False, 2, [E3]),
    7: ("gus@example.com", "Gus Patel", "active", False, 12, [PBI]),
    8: ("hana@example.com", "Hana Kim", "active", False, None, [E3]),
    9: ("ivan@example.com", "Ivan Petrov", "active", False, 29, [E3]),
    10: ("jo@example.com", "Jo Park", "active", False, 1, []),
    11: ("kai@example.com", "Kai Wong", "active", False, 31, [E3]),
    12: ("lea@example.com", "Lea Fox", "active", False, 20, [E3]),
    13: ("shared@example.com", "Shared Mailbox", "suspended", False, None, []),
}


def _synced(cli: Any, vendors: Vendors, name: str = "m365", **config: Any) -> Any:
    add_connector(cli, "microsoft365", name, vendors.m365_config(**config))
    return as_json(cli("sync", name, "--json"))


def _inventory(cli: Any) -> tuple[Any, Any]:
    return (
        as_json(cli("inventory", "products", "--json")),
        as_json(cli("inventory", "accounts", "--json")),
    )


def test_products_carry_vendor_seat_counts_read_from_every_users_page(
    cli: Any, fresh_vendors: Vendors
) -> None:
    runs = _synced(cli, fresh_vendors)
    assert [(r["connector"], r["status"]) for r in runs] == [("m365", "succeeded")]
    products = products_by_id(as_json(cli("inventory", "products", "--json")), "m365")
    got = {
        pid: (
            p["sku"],
            p["seats_purchased"],
            p["seats_consumed"],
            p["seats_assigned"],
            p["seats_active"],
        )
        for pid, p in products.items()
    }
    assert got == EXPECTED_PRODUCTS
    assert all(isinstance(p["name"], str) and p["name"] for p in products.values())

    wider = products_by_id(
        as_json(cli("inventory", "products", "--json", "--active-days", "60")), "m365"
    )
    # Ben (40 d) and Kai (31 d) join; Cara (70 d) stays out
    assert {pid: p["seats_active"] for pid, p in wider.items()} == {E3: 6, PBI: 2, VISIO: 0}
    queries = fresh_vendors.graph.user_queries
    assert [q["page"] for q in queries] == ["1", "2", "3"]
    assert queries[0]["$top"] == "999"
    assert set(queries[0]["$select"].split(",")) >= g.REQUIRED_SELECT


def test_accounts_map_email_status_guest_and_latest_of_three_sign_in_times(
    cli: Any, fresh_vendors: Vendors
) -> None:
    _synced(cli, fresh_vendors)
    accounts = accounts_by_id(as_json(cli("inventory", "accounts", "--json")), "m365")
    assert set(accounts) == {graph_id(n) for n in EXPECTED_ACCOUNTS}
    for n, (email, name, status, guest, days, products) in EXPECTED_ACCOUNTS.items():
        account = accounts[graph_id(n)]
        got = (
            account["email"],
            account["display_name"],
            account["status"],
            account["is_guest"],
            sorted(account["products"]),
        )
        assert got == (email, name, status, guest, sorted(products)), n
        assert_times(account["last_active_at"], None if days is None else ago(days), n)
    filtered = as_json(cli("inventory", "accounts", "--json", "--connector", "m365"))
    assert len(filtered) == len(EXPECTED_ACCOUNTS)


def test_second_sync_changes_nothing_and_a_removed_licence_leaves_the_seat_count(
    cli: Any, fresh_vendors: Vendors
) -> None:
    _synced(cli, fresh_vendors)
    before = _inventory(cli)
    assert as_json(cli("sync", "m365", "--json"))[0]["status"] == "succeeded"
    assert _inventory(cli) == before

    lea = next(u for u in fresh_vendors.graph.users if u["id"] == graph_id(12))
    lea["assignedLicenses"] = []
    assert as_json(cli("sync", "m365", "--json"))[0]["status"] == "succeeded"
    products, accounts = _inventory(cli)
    e3 = products_by_id(products, "m365")[E3]
    assert (e3["seats_assigned"], e3["seats_active"]) == (8, 3)
    assert accounts_by_id(accounts, "m365")[graph_id(12)]["products"] == []


def test_user_deleted_at_the_vendor_no_longer_holds_seats(cli: Any, fresh_vendors: Vendors) -> None:
    _synced(cli, fresh_vendors)
    fresh_vendors.graph.users = [u for u in fresh_vendors.graph.users if u["id"] != graph_id(1)]
    assert as_json(cli("sync", "m365", "--json"))[0]["status"] == "succeeded"
    products, accounts = _inventory(cli)
    seats = {pid: p["seats_assigned"] for pid, p in products_by_id(products, "m365").items()}
    assert seats == {E3: 8, PBI: 1, VISIO: 0}
    ana = accounts_by_id(accounts, "m365").get(graph_id(1))
    assert ana is None or ana["products"] == [], ana


@pytest.mark.sqlite_only
def test_tenant_without_p1_syncs_without_sign_in_data_and_warns(
    cli: Any, fresh_vendors: Vendors
) -> None:
    runs = _synced(cli, fresh_vendors, name="nop1", tenant_id=g.NO_P1_TENANT)
    assert runs[0]["status"] == "succeeded", runs
    assert runs[0]["warnings"], "the run must carry a warning that sign-in activity is missing"
    accounts = accounts_by_id(as_json(cli("inventory", "accounts", "--json")), "nop1")
    assert len(accounts) == 13
    assert all(a["last_active_at"] is None for a in accounts.values())
    assert sorted(accounts[graph_id(1)]["products"]) == sorted([E3, PBI])
    retried = [q for q in fresh_vendors.graph.user_queries if "signInActivity" not in q["$select"]]
    assert [q["page"] for q in retried] == ["1", "2", "3"]
    products = products_by_id(as_json(cli("inventory", "products", "--json")), "nop1")
    assert (products[E3]["seats_purchased"], products[E3]["seats_assigned"]) == (12, 9)
    # By the rule no seat is active; the extra key says why (every holder's activity unknown).
    assert (products[E3]["seats_active"], products[E3]["seats_activity_unknown"]) == (0, 9)
    text = cli("inventory", "products")
    assert "note: " in text.stdout and "no sign-in activity" in text.stdout


@pytest.mark.sqlite_only
def test_wrong_secret_fails_test_and_sync_saying_the_secret_is_wrong(
    cli: Any, fresh_vendors: Vendors
) -> None:
    add_connector(cli, "microsoft365", "m365", fresh_vendors.m365_config(client_secret="nope"))
    tested = cli("connector", "test", "m365")
    assert tested.exit_code == 1
    assert "secret" in tested.stderr.lower(), tested.stderr
    synced = cli("sync", "m365")
    assert synced.exit_code == 1
    assert "m365" in synced.stderr and "secret" in synced.stderr.lower(), synced.stderr
    assert as_json(cli("inventory", "accounts", "--json")) == []


@pytest.mark.sqlite_only
def test_a_short_429_storm_is_waited_out_as_retry_after_says(
    cli: Any, fresh_vendors: Vendors
) -> None:
    fresh_vendors.graph.throttle = {2: 2}
    runs = _synced(cli, fresh_vendors)
    assert runs[0]["status"] == "succeeded"
    times = fresh_vendors.graph.throttle_times
    page3 = [q for q in fresh_vendors.graph.user_queries if q["page"] == "3"]
    assert len(times) == 2 and page3
    assert times[1] - times[0] >= 0.9, "the client must wait Retry-After (1 s) before retrying"
    assert len(accounts_by_id(as_json(cli("inventory", "accounts", "--json")), "m365")) == 13


@pytest.mark.sqlite_only
def test_a_429_storm_that_never_ends_fails_the_sync_naming_throttling(
    cli: Any, fresh_vendors: Vendors
) -> None:
    fresh_vendors.graph.throttle = {2: 1000}
    add_connector(cli, "microsoft365", "m365", fresh_vendors.m365_config())
    started = time.monotonic()
    result = cli("sync", "m365", env={"SEATWISE_HTTP_TIME_BUDGET": "3"})
    assert time.monotonic() - started < 20
    assert result.exit_code == 1
    text = result.stderr.lower()
    assert "m365" in text and ("429" in text or "throttl" in text), result.stderr
    assert as_json(cli("inventory", "accounts", "--json")) == []


def _fails_and_changes_nothing(
    cli: Any, vendors: Vendors, words: list[str], env: dict[str, str] | None = None
) -> None:
    products, accounts = _inventory(cli)
    result = cli("sync", "m365", env=env)
    assert result.exit_code == 1
    assert "m365" in result.stderr
    assert any(w in result.stderr.lower() for w in words), result.stderr
    assert _inventory(cli) == (products, accounts)
    listed = as_json(cli("connector", "list", "--json"))
    last = listed[0]["last_run"]
    assert last["status"] == "failed" and last["error"], last


@pytest.mark.sqlite_only
def test_500_on_page_3_that_never_heals_fails_and_leaves_the_inventory_exactly(
    cli: Any, fresh_vendors: Vendors
) -> None:
    _synced(cli, fresh_vendors)
    fresh_vendors.graph.users[0]["accountEnabled"] = False  # would change Ana if applied
    fresh_vendors.graph.fail_page = 3
    # (a short retry budget only to keep the test fast; the default gives up after ~12 s)
    _fails_and_changes_nothing(
        cli,
        fresh_vendors,
        ["500", "failing", "unavailable"],
        env={"SEATWISE_HTTP_TIME_BUDGET": "2"},
    )


@pytest.mark.sqlite_only
def test_401_mid_pagination_gets_a_fresh_token_and_completes(
    cli: Any, fresh_vendors: Vendors
) -> None:
    fresh_vendors.graph.unauthorized = {2: 1}
    runs = _synced(cli, fresh_vendors)
    assert runs[0]["status"] == "succeeded", runs
    assert len(accounts_by_id(as_json(cli("inventory", "accounts", "--json")), "m365")) == 13


@pytest.mark.sqlite_only
def test_401_that_persists_mid_pagination_fails_and_changes_nothing(
    cli: Any, fresh_vendors: Vendors
) -> None:
    _synced(cli, fresh_vendors)
    fresh_vendors.graph.users[1]["assignedLicenses"] = []
    fresh_vendors.graph.unauthorized = {2: 1000}
    _fails_and_changes_nothing(cli, fresh_vendors, ["401", "token"])


@pytest.mark.sqlite_only
def test_malformed_json_fails_the_sync_naming_json_and_changes_nothing(
    cli: Any, fresh_vendors: Vendors
) -> None:
    _synced(cli, fresh_vendors)
    fresh_vendors.graph.users.pop()
    fresh_vendors.graph.malformed_page = 2
    _fails_and_changes_nothing(cli, fresh_vendors, ["json"])


@pytest.mark.sqlite_only
def test_duplicate_name_is_refused_naming_it(cli: Any, fresh_vendors: Vendors) -> None:
    add_connector(cli, "microsoft365", "m365", fresh_vendors.m365_config())
    again = cli(
        "connector",
        "add",
        "microsoft365",
        "--name",
        "m365",
        "--config",
        json.dumps(fresh_vendors.m365_config()),
    )
    assert again.exit_code in (1, 2)
    assert "m365" in again.stderr
    assert len(as_json(cli("connector", "list", "--json"))) == 1


@pytest.mark.sqlite_only
def test_unknown_and_missing_config_keys_exit_2_naming_them(
    cli: Any, fresh_vendors: Vendors, tmp_path: Any
) -> None:
    config = fresh_vendors.m365_config(tenant="typo")
    unknown = cli("connector", "add", "microsoft365", "--name", "a", "--config", json.dumps(config))
    assert unknown.exit_code == 2 and "tenant" in unknown.stderr, unknown.stderr
    config = fresh_vendors.m365_config()
    del config["client_secret"]
    path = tmp_path / "m365.json"
    path.write_text(json.dumps(config))
    missing = cli("connector", "add", "microsoft365", "--name", "b", "--config", f"@{path}")
    assert missing.exit_code == 2 and "client_secret" in missing.stderr, missing.stderr
    assert as_json(cli("connector", "list", "--json")) == []


@pytest.mark.sqlite_only
def test_list_masks_the_secret_and_remove_forgets_the_connector(
    cli: Any, fresh_vendors: Vendors, tmp_path: Any
) -> None:
    path = tmp_path / "m365.json"
    path.write_text(json.dumps(fresh_vendors.m365_config()))
    assert (
        cli("connector", "add", "microsoft365", "--name", "m365", "--config", f"@{path}").exit_code
        == 0
    )
    listed = cli("connector", "list", "--json")
    assert g.CLIENT_SECRET not in listed.stdout
    assert [c["name"] for c in as_json(listed)] == ["m365"]
    tested = cli("connector", "test", "m365")
    assert tested.exit_code == 0, tested.stderr
    assert g.CLIENT_SECRET not in cli("connector", "list").stdout
    assert cli("connector", "remove", "m365").exit_code == 0
    assert as_json(cli("connector", "list", "--json")) == []
    assert cli("sync", "m365").exit_code != 0


@pytest.mark.sqlite_only
def test_unreachable_hosts_fail_within_the_timeout_with_a_clear_message(
    cli: Any, fresh_vendors: Vendors
) -> None:
    from tests.acceptance.https_server import SilentListener, closed_port

    refused = f"https://127.0.0.1:{closed_port()}"
    silent = SilentListener()
    try:
        add_connector(
            cli,
            "microsoft365",
            "refused",
            fresh_vendors.m365_config(authority_host=refused, graph_url=refused),
        )
        add_connector(
            cli, "microsoft365", "graph-hangs", fresh_vendors.m365_config(graph_url=silent.url)
        )
        add_connector(
            cli, "microsoft365", "login-hangs", fresh_vendors.m365_config(authority_host=silent.url)
        )
        env = {"SEATWISE_HTTP_TIMEOUT": "2", "SEATWISE_HTTP_TIME_BUDGET": "4"}
        for name in ("refused", "graph-hangs", "login-hangs"):
            started = time.monotonic()
            result = cli("sync", name, env=env)
            assert time.monotonic() - started < 15, name
            assert result.exit_code == 1
            text = result.stderr.lower()
            assert name in text and "127.0.0.1" in text, result.stderr
            assert any(w in text for w in ("connect", "answer", "reach", "timed out")), text
    finally:
        silent.stop()


@pytest.mark.sqlite_only
def test_base_urls_with_trailing_slashes_work_alike(cli: Any, fresh_vendors: Vendors) -> None:
    add_connector(
        cli,
        "microsoft365",
        "m365",
        fresh_vendors.m365_config(
            authority_host=fresh_vendors.login_url + "/", graph_url=fresh_vendors.graph_url + "/"
        ),
    )
    add_connector(
        cli,
        "google_workspace",
        "gws",
        fresh_vendors.google_config(
            directory_url=fresh_vendors.google_url, licensing_url=fresh_vendors.google_url
        ),
    )
    add_connector(
        cli, "slack", "slack", fresh_vendors.slack_config(api_url=fresh_vendors.slack_url + "/api")
    )
    runs = as_json(cli("sync", "--json"))
    assert {(r["connector"], r["status"]) for r in runs} == {
        ("m365", "succeeded"),
        ("gws", "succeeded"),
        ("slack", "succeeded"),
    }, runs
