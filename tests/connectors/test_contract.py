"""The same contract checks over every registered connector, against its sandbox."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from connectors.base import (
    AccountRecord,
    AliasRecord,
    AssignmentRecord,
    Connector,
    ConnectorAuthError,
    ProductRecord,
    SyncWarning,
    UsageRecord,
)
from connectors.registry import connector_kinds, get_connector
from connectors.sandbox.company import generate_company
from connectors.sandbox.server import simulator_class
from tests.connectors.conftest import TODAY, SandboxHandle

SANDBOX_FIXTURE = {
    "microsoft365": "graph_sandbox",
    "google_workspace": "google_sandbox",
    "slack": "slack_sandbox",
}
RECORD_TYPES = (
    ProductRecord, AccountRecord, AssignmentRecord, UsageRecord, AliasRecord, SyncWarning,
)  # fmt: skip
KINDS = connector_kinds()


def make(kind: str, config: dict[str, Any]) -> Connector:
    cls = get_connector(kind)
    return cls(cls.config_model.model_validate(config))


@pytest.fixture(params=KINDS)
def sandbox(request: pytest.FixtureRequest) -> SandboxHandle:
    kind = request.param
    if kind not in SANDBOX_FIXTURE:
        pytest.fail(f"connector {kind!r} is registered but has no sandbox in the contract test")
    handle: SandboxHandle = request.getfixturevalue(SANDBOX_FIXTURE[kind])
    return handle


def test_every_built_in_connector_is_registered() -> None:
    assert {"microsoft365", "google_workspace", "slack"} <= set(KINDS)


def test_registry_loads_connector_under_its_kind(sandbox: SandboxHandle) -> None:
    cls = get_connector(sandbox.kind)
    assert issubclass(cls, Connector)
    assert cls.kind == sandbox.kind
    assert cls.title


def test_config_model_titles_every_field_and_flags_a_secret(sandbox: SandboxHandle) -> None:
    model = get_connector(sandbox.kind).config_model
    untitled = [name for name, info in model.model_fields.items() if not info.title]
    assert untitled == []
    assert model.secret_fields(), "a connector's credentials must be flagged secret"
    model.model_validate(sandbox.config)


def test_unknown_config_key_is_refused(sandbox: SandboxHandle) -> None:
    model = get_connector(sandbox.kind).config_model
    with pytest.raises(ValueError, match="no_such_key"):
        model.model_validate({**sandbox.config, "no_such_key": 1})


def test_check_returns_one_line_summary(sandbox: SandboxHandle) -> None:
    summary = make(sandbox.kind, sandbox.config).check()
    assert isinstance(summary, str)
    assert summary.strip()
    assert "\n" not in summary.strip()


def test_fetch_streams_only_records_in_contract_order(sandbox: SandboxHandle) -> None:
    stream = make(sandbox.kind, sandbox.config).fetch()
    assert inspect.isgenerator(stream), "fetch() must stream (be a generator)"
    products: set[str] = set()
    accounts: set[str] = set()
    assignments = 0
    for record in stream:
        assert isinstance(record, RECORD_TYPES), f"not a record: {record!r}"
        if isinstance(record, ProductRecord):
            products.add(record.external_id)
        elif isinstance(record, AccountRecord):
            accounts.add(record.external_id)
        elif isinstance(record, AliasRecord):
            assert record.account_external_id in accounts, "alias before its account"
        elif isinstance(record, AssignmentRecord):
            assignments += 1
            assert record.product_external_id in products, "assignment before its product"
            assert record.account_external_id in accounts, "assignment before its account"
    assert products
    assert accounts
    assert assignments


def test_second_fetch_gives_identical_records(sandbox: SandboxHandle) -> None:
    first = list(make(sandbox.kind, sandbox.config).fetch())
    second = list(make(sandbox.kind, sandbox.config).fetch())
    assert first == second


def test_wrong_secret_raises_auth_error(sandbox: SandboxHandle) -> None:
    """Take the secrets of another tenant's sandbox: well-formed, but not this tenant's."""
    cls = get_connector(sandbox.kind)
    other_company = generate_company(seed=999, size=5, today=TODAY)
    other = simulator_class(sandbox.kind)(other_company)
    other_config = other.connector_config(sandbox.url, sandbox.ca_path)
    wrong = dict(sandbox.config)
    for name in cls.config_model.secret_fields():
        if name in other_config:
            wrong[name] = other_config[name]
    assert wrong != sandbox.config
    with pytest.raises(ConnectorAuthError):
        make(sandbox.kind, wrong).check()
