"""Google Workspace connector faults: throttling, outages, refused credentials, bad config."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from connectors.base import (
    AccountRecord,
    ConnectorAuthError,
    ConnectorConfigError,
    ConnectorDataError,
    ConnectorPermissionError,
    ConnectorRateLimited,
    ConnectorUnavailable,
    ProductRecord,
)
from connectors.google_api import LICENSING_SCOPE
from connectors.google_workspace import GoogleWorkspaceConfig, GoogleWorkspaceConnector
from connectors.sandbox.google import DIRECTORY_READ, GoogleSimulator
from tests.connectors import google_workspace_sandbox
from tests.connectors.google_workspace_sandbox import FAST, Sandbox, connector, google_people, sync

# Shared fixtures, bound in this module for pytest to find.
_clean_faults = google_workspace_sandbox._clean_faults
google_sandbox = google_workspace_sandbox.google_sandbox


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
