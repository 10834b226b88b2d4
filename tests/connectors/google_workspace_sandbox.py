"""A private Google sandbox for the Google Workspace tests, and the connector over it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from connectors.base import Record
from connectors.google_api import RetryPolicy
from connectors.google_workspace import GoogleWorkspaceConfig, GoogleWorkspaceConnector
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


def google_people(sandbox: Sandbox) -> list[Any]:
    return [p for p in sandbox.simulator.company.persons if p.google is not None]
