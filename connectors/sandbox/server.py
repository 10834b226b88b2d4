"""Start the vendor simulators for one fake company, each on its own HTTPS port.

Used by ``seatwise sandbox serve``, the demo, the benchmarks and the tests. Every
simulator serves the same ``Company``, so cross-source findings line up.
"""

from __future__ import annotations

import importlib
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol

from connectors.sandbox.company import Company, generate_company
from connectors.sandbox.serving import RunningServer, serve_in_thread
from connectors.sandbox.tls import SandboxTLS, make_tls

# kind -> (module, class) of its simulator
SIMULATORS: dict[str, tuple[str, str]] = {
    "microsoft365": ("connectors.sandbox.graph", "GraphSimulator"),
    "google_workspace": ("connectors.sandbox.google", "GoogleSimulator"),
    "slack": ("connectors.sandbox.slack", "SlackSimulator"),
}


class Simulator(Protocol):
    """What every simulator offers."""

    app: Any
    faults: Any

    def connector_config(self, base_url: str, ca_path: str) -> dict[str, Any]: ...


def simulator_class(kind: str) -> Callable[[Company], Simulator]:
    """Import the simulator class of ``kind``, with a clear error when it is missing."""
    if kind not in SIMULATORS:
        raise ValueError(f"no sandbox for {kind!r}; known: {', '.join(SIMULATORS)}")
    module_name, class_name = SIMULATORS[kind]
    try:
        module = importlib.import_module(module_name)
        cls: Callable[[Company], Simulator] = getattr(module, class_name)
    except (ImportError, AttributeError) as exc:
        raise RuntimeError(
            f"the {kind} sandbox ({module_name}.{class_name}) cannot be loaded: {exc}"
        ) from exc
    return cls


@dataclass
class Sandboxes:
    """Running simulators: base URLs, connector configs, the CA to trust."""

    company: Company
    tls: SandboxTLS
    simulators: dict[str, Simulator] = field(default_factory=dict)
    servers: dict[str, RunningServer] = field(default_factory=dict)

    @property
    def ca_path(self) -> str:
        """Path of the CA certificate the connectors must trust."""
        return str(self.tls.ca_path)

    @property
    def urls(self) -> dict[str, str]:
        """Base URL of each simulator, by connector kind."""
        return {kind: s.url for kind, s in self.servers.items()}

    @property
    def configs(self) -> dict[str, dict[str, Any]]:
        """Connector config (credentials included) of each simulator, by kind."""
        return {
            kind: sim.connector_config(self.servers[kind].url, self.ca_path)
            for kind, sim in self.simulators.items()
        }

    def stop(self) -> None:
        """Stop every server."""
        for server in self.servers.values():
            server.stop()
        self.servers.clear()


def start_sandboxes(
    *,
    seed: int,
    size: int,
    tls_dir: Path,
    kinds: Sequence[str] = ("microsoft365", "google_workspace", "slack"),
    today: date | None = None,
    ports: dict[str, int] | None = None,
    host: str = "127.0.0.1",
) -> Sandboxes:
    """Generate a company and serve a simulator per kind over HTTPS.

    Args:
        seed: Company seed.
        size: Number of employees.
        tls_dir: Where the CA and server certificate are written.
        kinds: Connector kinds to simulate.
        today: The day the company is observed (default: today, UTC).
        ports: Fixed ports by kind; others get a free port.
        host: Interface to bind.

    Returns:
        The running sandboxes; call ``stop()`` when done.
    """
    classes = {kind: simulator_class(kind) for kind in kinds}
    company = generate_company(seed=seed, size=size, today=today or datetime.now(UTC).date())
    tls = make_tls(tls_dir)
    boxes = Sandboxes(company=company, tls=tls)
    try:
        for kind, cls in classes.items():
            sim = cls(company)
            boxes.simulators[kind] = sim
            port = (ports or {}).get(kind, 0)
            boxes.servers[kind] = serve_in_thread(sim.app, tls=tls, host=host, port=port)
    except BaseException:
        boxes.stop()
        raise
    return boxes


def describe(boxes: Sandboxes) -> str:
    """Say where the sandboxes listen and how to point connectors at them."""
    lines = [boxes.company.summary(), "", f"CA certificate to trust: {boxes.ca_path}", ""]
    for kind, url in boxes.urls.items():
        lines.append(f"{kind}: {url}")
        lines.append("  connector config: " + json.dumps(boxes.configs[kind]))
    return "\n".join(lines)


def serve_forever(
    *,
    seed: int = 1,
    size: int = 200,
    tls_dir: Path = Path(".sandbox/tls"),
    kinds: Sequence[str] = ("microsoft365", "google_workspace", "slack"),
    today: date | None = None,
    ports: dict[str, int] | None = None,
    host: str = "127.0.0.1",
    echo: Callable[[str], None] = print,
    stop: threading.Event | None = None,
) -> None:
    """Serve the sandboxes until interrupted, after printing URLs, CA and configs."""
    boxes = start_sandboxes(
        seed=seed, size=size, tls_dir=tls_dir, kinds=kinds, today=today, ports=ports, host=host
    )
    echo(describe(boxes))
    echo("\nPress Ctrl+C to stop.")
    try:
        (stop or threading.Event()).wait()
    except KeyboardInterrupt:
        pass
    finally:
        boxes.stop()
