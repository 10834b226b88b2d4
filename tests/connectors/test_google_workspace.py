"""Google Workspace connector against the HTTPS Google sandbox on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from pydantic import ValidationError

from connectors.base import (
    AccountRecord,
    AliasRecord,
    AssignmentRecord,
    ConnectorAuthError,
    ConnectorConfigError,
    ConnectorDataError,
    ConnectorPermissionError,
    ConnectorRateLimited,
    ConnectorUnavailable,
    ProductRecord,
    Record,
)
from connectors.google_api import LICENSING_SCOPE, RetryPolicy
from connectors.google_workspace import GoogleWorkspaceConfig, GoogleWorkspaceConnector
from connectors.sandbox.google import DIRECTORY_READ, GoogleSimulator
from tests.connectors.conftest import SandboxHandle, fresh_faults, private_sandbox

FAST = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05)


Sandbox = SandboxHandle


@pytest.fixture(scope="module")
def google_sandbox() -> Iterator[Sandbox]:
    yield from private_sandbox("google_workspace", seed=42, size=200)


@pytest.fixture(autouse=True)
def _clean_faults(google_sandbox: Sandbox) -> Iterator[None]:
    yield from fresh_faults(google_sandbox)


def connector(sandbox: Sandbox, **overrides: Any) -> GoogleWorkspaceConnector:
    config = GoogleWorkspaceConfig.model_validate({**sandbox.config, **overrides})
    return GoogleWorkspaceConnector(config, retry=FAST)


def sync(sandbox: Sandbox, **overrides: Any) -> list[Record]:
    return list(connector(sandbox, **overrides).fetch())


def accounts_by_email(records: list[Record]) -> dict[str, AccountRecord]:
    return {r.email: r for r in records if isinstance(r, AccountRecord) and r.email}


def google_people(sandbox: Sandbox) -> list[Any]:
    return [p for p in sandbox.simulator.company.persons if p.google is not None]


# ----------------------------------------------------------------------------- records


def test_products_stream_first_then_each_account_followed_by_its_licences(
    google_sandbox: Sandbox,
) -> None:
    records = sync(google_sandbox)
    kinds = [type(r).__name__ for r in records]
    first_other = next(i for i, k in enumerate(kinds) if k != "ProductRecord")
    assert all(k != "ProductRecord" for k in kinds[first_other:])
    owner: str | None = None
    for record in records:
        if isinstance(record, AccountRecord):
            owner = record.external_id
        elif isinstance(record, AssignmentRecord):
            assert record.account_external_id == owner
    assert sum(isinstance(r, AccountRecord) for r in records) == len(google_people(google_sandbox))


def test_one_product_per_sku_with_consumed_seats_counted_and_purchased_unknown(
    google_sandbox: Sandbox,
) -> None:
    products = {r.external_id: r for r in sync(google_sandbox) if isinstance(r, ProductRecord)}
    expected: dict[str, int] = {}
    for p in google_people(google_sandbox):
        if p.google.sku_id:
            expected[f"Google-Apps/{p.google.sku_id}"] = (
                expected.get(f"Google-Apps/{p.google.sku_id}", 0) + 1
            )
    assert {k: v.seats_consumed for k, v in products.items()} == expected
    assert all(p.seats_purchased is None for p in products.values())
    assert products["Google-Apps/1010020027"].name == "Google Workspace Business Starter"


def test_email_is_lower_cased_and_licence_matched_whatever_the_casing(
    google_sandbox: Sandbox,
) -> None:
    records = sync(google_sandbox)
    cased = next(
        p
        for p in google_people(google_sandbox)
        if p.google.primary_email != p.google.primary_email.lower() and p.google.sku_id
    )
    account = accounts_by_email(records)[cased.google.primary_email.lower()]
    held = [
        r.product_external_id
        for r in records
        if isinstance(r, AssignmentRecord) and r.account_external_id == account.external_id
    ]
    assert held == [f"Google-Apps/{cased.google.sku_id}"]


def test_each_alias_follows_its_account_lower_cased(google_sandbox: Sandbox) -> None:
    records = sync(google_sandbox)
    aliases = [(i, r) for i, r in enumerate(records) if isinstance(r, AliasRecord)]
    assert aliases, "the sandbox gives every eighth user an alias"
    for i, alias in aliases:
        owner = next(r for r in reversed(records[:i]) if isinstance(r, AccountRecord))
        assert alias.account_external_id == owner.external_id
        assert alias.email == alias.email.lower() != owner.email
        assert alias.email.startswith((owner.email or "").partition("@")[0] + ".alias@")


def test_suspended_or_archived_user_is_suspended_and_others_active(
    google_sandbox: Sandbox,
) -> None:
    people = google_people(google_sandbox)
    archived = next(p for p in people if p.google.suspended)
    archived.google.suspended, archived.google.archived = False, True
    try:
        by_email = accounts_by_email(sync(google_sandbox))
    finally:
        archived.google.suspended, archived.google.archived = True, False
    assert by_email[archived.google.primary_email.lower()].status == "suspended"
    assert any(p.google.suspended for p in people)
    for p in people:
        gone = p.google.suspended or p.google.archived or p is archived
        expected = "suspended" if gone else "active"
        assert by_email[p.google.primary_email.lower()].status == expected


def test_never_logged_in_user_has_no_last_activity(google_sandbox: Sandbox) -> None:
    by_email = accounts_by_email(sync(google_sandbox))
    people = google_people(google_sandbox)
    never = [p for p in people if p.google.last_login is None]
    seen = [p for p in people if p.google.last_login is not None]
    assert never and seen
    for p in never:
        account = by_email[p.google.primary_email.lower()]
        assert account.last_active_at is None and account.activity_known
    for p in seen:
        assert by_email[p.google.primary_email.lower()].last_active_at == p.google.last_login


def test_pages_directory_at_500_and_licences_at_1000_to_the_last_page(
    google_sandbox: Sandbox,
) -> None:
    whole = sync(google_sandbox)
    google_sandbox.simulator.faults.page_size = 7
    google_sandbox.simulator.requests.clear()
    paged = sync(google_sandbox)
    assert sorted(map(repr, paged)) == sorted(map(repr, whole))
    seen = list(google_sandbox.simulator.requests)
    users = [q for path, q in seen if path.endswith("/users") and "directory" in path]
    licences = [q for path, q in seen if path.startswith("/apps/licensing")]
    assert {q["maxResults"] for q in users} == {"500"}
    assert {q["maxResults"] for q in licences} == {"1000"}
    assert len(users) == -(-len(google_people(google_sandbox)) // 7)
    assert sum("pageToken" in q for q in licences) == len(licences) - 1


def test_licence_manager_is_asked_for_the_domain_not_my_customer(
    google_sandbox: Sandbox,
) -> None:
    sync(google_sandbox)
    asked = {q["customerId"] for p, q in google_sandbox.simulator.requests if "licensing" in p}
    assert asked == {google_sandbox.simulator.company.domain}


def test_without_domain_the_directory_customer_id_is_used_for_licences(
    google_sandbox: Sandbox,
) -> None:
    records = sync(google_sandbox, domain=None)
    assert any(isinstance(r, AssignmentRecord) for r in records)
    asked = {q["customerId"] for p, q in google_sandbox.simulator.requests if "licensing" in p}
    assert asked == {google_sandbox.simulator.customer_id}


def test_check_names_the_admin_and_customer(google_sandbox: Sandbox) -> None:
    summary = connector(google_sandbox).check()
    assert google_sandbox.config["subject"] in summary
    assert google_sandbox.simulator.company.domain in summary


def test_ca_bundle_given_as_pem_text_is_trusted(google_sandbox: Sandbox) -> None:
    pem = Path(google_sandbox.ca_path).read_text()
    assert "Signed in" in connector(google_sandbox, ca_bundle=pem).check()


# ----------------------------------------------------------------------------- faults


def test_rate_limit_403_is_retried_with_backoff_then_succeeds(google_sandbox: Sandbox) -> None:
    google_sandbox.simulator.faults.rate_limit_403 = 2
    records = sync(google_sandbox)
    assert sum(isinstance(r, AccountRecord) for r in records) == len(google_people(google_sandbox))
    assert google_sandbox.simulator.faults.rate_limit_403 == 0


def test_rate_limit_429_is_retried_then_succeeds(google_sandbox: Sandbox) -> None:
    google_sandbox.simulator.faults.rate_limit_429 = 1
    assert any(isinstance(r, ProductRecord) for r in sync(google_sandbox))


def test_throttling_past_the_retry_budget_raises_rate_limited(google_sandbox: Sandbox) -> None:
    google_sandbox.simulator.faults.rate_limit_403 = 50
    with pytest.raises(ConnectorRateLimited, match="userRateLimitExceeded"):
        sync(google_sandbox)


def test_outage_past_the_retry_budget_raises_unavailable(google_sandbox: Sandbox) -> None:
    google_sandbox.simulator.faults.server_errors = 50
    with pytest.raises(ConnectorUnavailable, match="503"):
        sync(google_sandbox)


def test_answer_that_is_not_json_raises_data_error(google_sandbox: Sandbox) -> None:
    google_sandbox.simulator.faults.malformed = 1
    with pytest.raises(ConnectorDataError, match="not JSON"):
        sync(google_sandbox)


def test_wrong_subject_is_refused_as_unauthorized_client(google_sandbox: Sandbox) -> None:
    staff = next(
        p.google.primary_email
        for p in google_people(google_sandbox)
        if p.google.primary_email.lower() not in google_sandbox.simulator.admins
    )
    with pytest.raises(ConnectorAuthError, match="unauthorized_client") as caught:
        connector(google_sandbox, subject=staff).check()
    assert "admin" in str(caught.value)


def test_missing_licensing_scope_is_named(google_sandbox: Sandbox) -> None:
    google_sandbox.simulator.faults.granted_scopes = [DIRECTORY_READ]
    with pytest.raises(ConnectorPermissionError, match="Domain-wide delegation") as caught:
        sync(google_sandbox)
    assert caught.value.missing == LICENSING_SCOPE


def test_deleted_key_is_refused_as_invalid_grant(google_sandbox: Sandbox) -> None:
    google_sandbox.simulator.faults.key_disabled = True
    with pytest.raises(ConnectorAuthError, match="invalid_grant"):
        connector(google_sandbox).check()


def test_key_of_another_service_account_fails_signature_check(google_sandbox: Sandbox) -> None:
    other = GoogleSimulator(google_sandbox.simulator.company)
    key = other.account.key_json(google_sandbox.url + "/token")
    key["client_email"] = google_sandbox.simulator.account.client_email
    with pytest.raises(ConnectorAuthError, match="Invalid JWT Signature"):
        connector(google_sandbox, service_account_key=key).check()


def test_malformed_json_key_is_a_config_error(google_sandbox: Sandbox) -> None:
    with pytest.raises(ConnectorConfigError, match="not valid JSON"):
        connector(google_sandbox, service_account_key='{"type": "service_account",').check()


def test_key_without_private_key_is_a_config_error(google_sandbox: Sandbox) -> None:
    key = dict(google_sandbox.config["service_account_key"])
    del key["private_key"]
    with pytest.raises(ConnectorConfigError, match="private_key"):
        connector(google_sandbox, service_account_key=json.dumps(key)).fetch().__next__()


def test_garbled_private_key_is_a_config_error(google_sandbox: Sandbox) -> None:
    key = dict(google_sandbox.config["service_account_key"], private_key="-----BEGIN nope")
    with pytest.raises(ConnectorConfigError, match="private_key"):
        connector(google_sandbox, service_account_key=key).check()


def test_oauth_client_file_instead_of_service_account_key_is_refused(
    google_sandbox: Sandbox,
) -> None:
    key = dict(google_sandbox.config["service_account_key"], type="authorized_user")
    with pytest.raises(ConnectorConfigError, match="service_account"):
        connector(google_sandbox, service_account_key=key).check()


def test_server_with_untrusted_certificate_points_at_ca_bundle(google_sandbox: Sandbox) -> None:
    with pytest.raises(ConnectorUnavailable, match="ca_bundle"):
        connector(google_sandbox, ca_bundle=None).check()


def test_missing_ca_bundle_file_is_a_config_error(google_sandbox: Sandbox) -> None:
    with pytest.raises(ConnectorConfigError, match="ca_bundle"):
        connector(google_sandbox, ca_bundle="/nonexistent/ca.pem").check()


def test_unknown_config_key_and_bad_subject_are_refused(google_sandbox: Sandbox) -> None:
    with pytest.raises(ValidationError, match="extra"):
        GoogleWorkspaceConfig.model_validate({**google_sandbox.config, "tenant": "x"})
    with pytest.raises(ValidationError, match="e-mail"):
        GoogleWorkspaceConfig.model_validate({**google_sandbox.config, "subject": "admin"})


# ----------------------------------------------------------------------------- sandbox


def _bearer(sandbox: Sandbox, *scopes: str) -> dict[str, str]:
    admin = sandbox.simulator.admin_email
    token = sandbox.simulator.account.issue(admin, frozenset(scopes))["access_token"]
    return {"Authorization": f"Bearer {token}"}


def test_sandbox_refuses_max_results_above_the_documented_caps(google_sandbox: Sandbox) -> None:
    url, ca = google_sandbox.url, google_sandbox.ca_path
    headers = _bearer(google_sandbox, DIRECTORY_READ, LICENSING_SCOPE)
    users = requests.get(
        f"{url}/admin/directory/v1/users",
        params={"customer": "my_customer", "maxResults": "501"},
        headers=headers,
        verify=ca,
        timeout=10,
    )
    licences = requests.get(
        f"{url}/apps/licensing/v1/product/Google-Apps/users",
        params={"customerId": google_sandbox.simulator.company.domain, "maxResults": "1001"},
        headers=headers,
        verify=ca,
        timeout=10,
    )
    assert users.status_code == 400 and licences.status_code == 400
    assert users.json()["error"]["errors"][0]["reason"] == "invalid"


def test_sandbox_refuses_my_customer_in_the_licence_manager(google_sandbox: Sandbox) -> None:
    answer = requests.get(
        f"{google_sandbox.url}/apps/licensing/v1/product/Google-Apps/sku/1010020027/users",
        params={"customerId": "my_customer"},
        headers=_bearer(google_sandbox, LICENSING_SCOPE),
        verify=google_sandbox.ca_path,
        timeout=10,
    )
    assert answer.status_code == 400


def test_sandbox_checks_bearer_token_and_scope(google_sandbox: Sandbox) -> None:
    url = f"{google_sandbox.url}/admin/directory/v1/users?customer=my_customer"
    anonymous = requests.get(url, verify=google_sandbox.ca_path, timeout=10)
    wrong_scope = requests.get(
        url,
        headers=_bearer(google_sandbox, LICENSING_SCOPE),
        verify=google_sandbox.ca_path,
        timeout=10,
    )
    assert anonymous.status_code == 401
    assert wrong_scope.status_code == 403
    assert wrong_scope.json()["error"]["errors"][0]["reason"] == "insufficientPermissions"


def test_sandbox_token_endpoint_rejects_a_forged_assertion(google_sandbox: Sandbox) -> None:
    answer = requests.post(
        f"{google_sandbox.url}/token",
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "assertion": "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln",
        },
        verify=google_sandbox.ca_path,
        timeout=10,
    )
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"


def test_sandbox_fault_switches_are_set_and_reset_over_http(google_sandbox: Sandbox) -> None:
    url, ca = f"{google_sandbox.url}/_sandbox/faults", google_sandbox.ca_path
    assert requests.post(url, json={"rate_limit_403": 3}, verify=ca, timeout=10).ok
    assert google_sandbox.simulator.faults.rate_limit_403 == 3
    assert requests.post(url, json={"nope": 1}, verify=ca, timeout=10).status_code == 400
    assert requests.delete(url, verify=ca, timeout=10).ok
    assert google_sandbox.simulator.faults.rate_limit_403 == 0


# ------------------------------------------------------- mapping of awkward but legal users


def _user(**fields: Any) -> dict[str, Any]:
    return {"id": "1", "primaryEmail": "Dan@Example.com", **fields}


@pytest.mark.parametrize(
    "never", ["1970-01-01T00:00:00.000Z", "1970-01-01T00:00:00Z", "1970-01-01T00:00:00.000000Z"]
)
def test_the_epoch_means_never_however_it_is_spelled(never: str) -> None:
    from connectors.google_directory import user_account

    account = user_account(_user(lastLoginTime=never))
    assert account.last_active_at is None and account.activity_known


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ({"fullName": "Dan Brown", "givenName": "D"}, "Dan Brown"),
        ({"givenName": "Dan"}, "Dan"),
        ({"givenName": "Dan", "familyName": "Brown"}, "Dan Brown"),
        ({"familyName": "Brown"}, "Brown"),
        ({}, None),
        (None, None),
    ],
)
def test_the_display_name_is_made_of_the_name_parts_without_a_full_name(
    name: Any, shown: str | None
) -> None:
    from connectors.google_directory import user_account

    assert user_account(_user(name=name)).display_name == shown


def test_a_retry_after_is_waited_out_in_full(google_sandbox: Sandbox) -> None:
    waits: list[float] = []
    google_sandbox.simulator.faults.rate_limit_429 = 1
    google_sandbox.simulator.faults.retry_after = 40  # above the 32 s backoff cap
    records = list(_recording(google_sandbox, waits).fetch())
    assert waits == [40.0]
    assert any(isinstance(r, AccountRecord) for r in records)


def test_a_retry_after_longer_than_a_sync_waits_ends_it_naming_the_wait(
    google_sandbox: Sandbox,
) -> None:
    waits: list[float] = []
    google_sandbox.simulator.faults.rate_limit_429 = 1
    google_sandbox.simulator.faults.retry_after = 600
    with pytest.raises(ConnectorRateLimited, match=r"asked to wait 600 s \(Retry-After\)") as got:
        list(_recording(google_sandbox, waits).fetch())
    assert waits == [] and got.value.retry_after == 600


def _recording(sandbox: Sandbox, waits: list[float]) -> GoogleWorkspaceConnector:
    """The connector, with its sleeps recorded instead of slept."""
    config = GoogleWorkspaceConfig.model_validate(sandbox.config)
    return GoogleWorkspaceConnector(config, retry=FAST, sleep=waits.append)


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"])
def test_a_ca_named_by_the_environment_is_trusted_without_ca_bundle(
    google_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    """As Python's ssl (Slack) and httpx (Microsoft) do; httplib2 alone would not."""
    ca_file = google_sandbox.config["ca_bundle"]
    assert Path(ca_file).is_file()
    for name in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, ca_file)
    assert "Signed in" in connector(google_sandbox, ca_bundle=None).check()
    assert any(isinstance(r, AccountRecord) for r in sync(google_sandbox, ca_bundle=None))
