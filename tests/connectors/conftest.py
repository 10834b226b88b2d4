"""Sandboxes for connector tests: each vendor simulator over HTTPS on 127.0.0.1.

One server per vendor for the whole session (a small company); faults are reset
around every test. Simulators are imported lazily, so one vendor's missing module
fails only that vendor's tests.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from connectors.sandbox.company import Company, generate_company
from connectors.sandbox.fault_switches import reset
from connectors.sandbox.server import Simulator, simulator_class
from connectors.sandbox.serving import RunningServer, serve_in_thread
from connectors.sandbox.tls import SandboxTLS, make_tls

TODAY = date(2026, 11, 25)
SANDBOX_SEED = 11
SANDBOX_SIZE = 60


@dataclass
class SandboxHandle:
    """A running simulator and the connector config that points at it."""

    kind: str
    url: str
    simulator: Any
    config: dict[str, Any]
    ca_path: str
    server: RunningServer

    @property
    def company(self) -> Company:
        return self.simulator.company  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def sandbox_tls() -> Iterator[SandboxTLS]:
    with tempfile.TemporaryDirectory(prefix="seatwise-tls-") as tmp:
        yield make_tls(Path(tmp))


@pytest.fixture(scope="session")
def sandbox_company() -> Company:
    return generate_company(seed=SANDBOX_SEED, size=SANDBOX_SIZE, today=TODAY)


def start_sandbox(kind: str, company: Company, tls: SandboxTLS) -> SandboxHandle:
    """Serve the simulator of ``kind`` for ``company`` on a free port."""
    simulator: Simulator = simulator_class(kind)(company)
    server = serve_in_thread(simulator.app, tls=tls)
    config = simulator.connector_config(server.url, str(tls.ca_path))
    return SandboxHandle(kind, server.url, simulator, config, str(tls.ca_path), server)


def private_sandbox(kind: str, *, seed: int, size: int) -> Iterator[SandboxHandle]:
    """Serve a simulator of ``kind`` of its own, for a module whose assertions need its company.

    Yield it from a module-scoped fixture; it is stopped when the module is done.
    """
    company = generate_company(seed=seed, size=size, today=TODAY)
    tls = make_tls(Path(tempfile.mkdtemp(prefix=f"{kind}-sandbox-")))
    handle = start_sandbox(kind, company, tls)
    yield handle
    handle.server.server.force_exit = True
    handle.server.stop()


def fresh_faults(handle: SandboxHandle) -> Iterator[None]:
    """Around one test: no fault switched on and an empty request log, before and after."""
    reset(handle.simulator.faults)
    handle.simulator.requests.clear()
    yield
    reset(handle.simulator.faults)


def _clean(handle: SandboxHandle) -> None:
    reset(handle.simulator.faults)
    requests_log = getattr(handle.simulator, "requests", None)
    if isinstance(requests_log, list):
        requests_log.clear()


@pytest.fixture(scope="session")
def _servers(sandbox_company: Company, sandbox_tls: SandboxTLS) -> Iterator[dict[str, Any]]:
    started: dict[str, SandboxHandle] = {}

    def get(kind: str) -> SandboxHandle:
        if kind not in started:
            started[kind] = start_sandbox(kind, sandbox_company, sandbox_tls)
        return started[kind]

    yield {"get": get}
    for handle in started.values():
        handle.server.stop()


def _sandbox(servers: dict[str, Any], kind: str) -> Iterator[SandboxHandle]:
    handle: SandboxHandle = servers["get"](kind)
    _clean(handle)
    yield handle
    _clean(handle)


@pytest.fixture
def graph_sandbox(_servers: dict[str, Any]) -> Iterator[SandboxHandle]:
    yield from _sandbox(_servers, "microsoft365")


@pytest.fixture
def google_sandbox(_servers: dict[str, Any]) -> Iterator[SandboxHandle]:
    yield from _sandbox(_servers, "google_workspace")


@pytest.fixture
def slack_sandbox(_servers: dict[str, Any]) -> Iterator[SandboxHandle]:
    yield from _sandbox(_servers, "slack")


@pytest.fixture
def paged(graph_sandbox: SandboxHandle) -> SandboxHandle:
    """Serve 10 users a page so the small company spans several pages."""
    graph_sandbox.simulator.faults.page_size_cap = 10
    return graph_sandbox
