"""The Google sandbox itself holds to the documented API: caps, scopes, tokens, faults."""

from __future__ import annotations

import requests

from connectors.google_api import LICENSING_SCOPE
from connectors.sandbox.google import DIRECTORY_READ
from tests.connectors import google_workspace_sandbox
from tests.connectors.google_workspace_sandbox import Sandbox

# Shared fixtures, bound in this module for pytest to find.
_clean_faults = google_workspace_sandbox._clean_faults
google_sandbox = google_workspace_sandbox.google_sandbox


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
