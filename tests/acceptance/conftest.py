"""The outside checker's setup: our own vendor servers over HTTPS with a private CA."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance import graph_server as g
from tests.acceptance import slack_server as s
from tests.acceptance.google_server import GoogleState, google_app, make_key, service_account_key
from tests.acceptance.https_server import PrivateCA, ServedApp, make_private_ca


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker that keeps a slow fault test to one database backend."""
    config.addinivalue_line(
        "markers",
        "sqlite_only: run this acceptance test on SQLite only (it exercises the connector, "
        "not the SQL)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Drop the PostgreSQL copies of tests marked ``sqlite_only`` (keeps the suite fast)."""
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("database") if callspec is not None else None
        if item.get_closest_marker("sqlite_only") and backend not in (None, "sqlite"):
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@dataclass
class Vendors:
    """The running servers, their state, and ready-made connector configs."""

    tls: PrivateCA
    graph: g.GraphState
    login_url: str
    graph_url: str
    google: GoogleState
    google_url: str
    google_private_key: str
    slack: s.SlackState
    slack_url: str

    def m365_config(self, **overrides: Any) -> dict[str, Any]:
        """A working Microsoft 365 connector config."""
        return {
            "tenant_id": g.TENANT,
            "client_id": g.CLIENT_ID,
            "client_secret": g.CLIENT_SECRET,
            "authority_host": self.login_url,
            "graph_url": self.graph_url,
            "ca_bundle": str(self.tls.ca_path),
            **overrides,
        }

    def google_config(self, **overrides: Any) -> dict[str, Any]:
        """A working Google Workspace connector config (Vault and an empty product too)."""
        key = service_account_key(self.google_private_key, f"{self.google_url}/token")
        return {
            "service_account_key": json.dumps(key),
            "subject": "admin@example.com",
            "domain": "example.com",
            "license_products": ["Google-Apps", "Google-Vault", "Google-Chrome-Device-Management"],
            "directory_url": f"{self.google_url}/",
            "licensing_url": f"{self.google_url}/",
            "ca_bundle": str(self.tls.ca_path),
            **overrides,
        }

    def slack_config(self, **overrides: Any) -> dict[str, Any]:
        """A working Slack connector config for the paid Acme workspace."""
        return {
            "token": s.ACME_TOKEN,
            "api_url": f"{self.slack_url}/api/",
            "ca_bundle": str(self.tls.ca_path),
            **overrides,
        }


@pytest.fixture(scope="session")
def vendors() -> Iterator[Vendors]:
    """All vendor servers for the session (each xdist worker starts its own)."""
    tls = make_private_ca(Path(tempfile.mkdtemp(prefix="acceptance-tls-")))
    graph_state = g.GraphState()
    private_key, public_key = make_key()
    google_state = GoogleState(public_key=public_key)
    slack_state = s.SlackState()
    slack_state.reset()
    servers = [
        ServedApp(g.login_app(graph_state), tls),
        ServedApp(g.graph_app(graph_state), tls),
        ServedApp(google_app(google_state), tls),
        ServedApp(s.slack_app(slack_state), tls),
    ]
    yield Vendors(
        tls=tls,
        graph=graph_state,
        login_url=servers[0].url,
        graph_url=servers[1].url,
        google=google_state,
        google_url=servers[2].url,
        google_private_key=private_key,
        slack=slack_state,
        slack_url=servers[3].url,
    )
    for server in servers:
        server.stop()


@pytest.fixture
def fresh_vendors(vendors: Vendors) -> Iterator[Vendors]:
    """The vendor servers with their original data and no faults, reset afterwards too."""
    for state in (vendors.graph, vendors.google, vendors.slack):
        state.reset()
    yield vendors
    for state in (vendors.graph, vendors.google, vendors.slack):
        state.reset()


def as_json(result: Any) -> Any:
    """Parse a CLI run's stdout, failing with its output when it did not succeed."""
    assert result.exit_code == 0, f"exit {result.exit_code}\n{result.stdout}\n{result.stderr}"
    return json.loads(result.stdout)


def add_connector(cli: Any, kind: str, name: str, config: dict[str, Any]) -> None:
    """``seatwise connector add`` that must succeed."""
    result = cli("connector", "add", kind, "--name", name, "--config", json.dumps(config))
    assert result.exit_code == 0, f"{result.stdout}\n{result.stderr}"
