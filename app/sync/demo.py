"""Demo step: start the three vendor sandboxes, add a connector for each, sync them.

The sandboxes run in this process on fixed free ports with a 2,000-person company and
keep running (``ctx.extras["sandboxes"]``) while the demo serves, so "sync now" works.
"""

from __future__ import annotations

import socket
from typing import Any

from app.core.db import session_scope
from app.sync import configs
from app.sync.service import sync_many

DEMO_SIZE = 2000
DEMO_SEED = 2026
PREFERRED_PORTS = {"microsoft365": 8443, "google_workspace": 8444, "slack": 8445}
NAMES = {"microsoft365": "m365", "google_workspace": "google", "slack": "slack"}


def _free_port(preferred: int) -> int:
    """The preferred port when it is free, else any free one."""
    for port in (preferred, 0):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise RuntimeError("no free port for the sandboxes")


def start_and_sync_sandboxes(ctx: Any) -> None:
    """Serve the sandboxes, add Microsoft 365 (the identity provider), Google and Slack, sync."""
    from connectors.sandbox.server import start_sandboxes

    ports = {kind: _free_port(port) for kind, port in PREFERRED_PORTS.items()}
    ctx.say(f"starting the vendor sandboxes ({DEMO_SIZE:,}-person company)")
    boxes = start_sandboxes(
        seed=DEMO_SEED,
        size=DEMO_SIZE,
        tls_dir=ctx.directory / "sandbox-tls",
        today=ctx.today,
        ports=ports,
    )
    ctx.extras["sandboxes"] = boxes
    with session_scope(ctx.engine) as session:
        for kind, config in boxes.configs.items():
            if kind == "microsoft365":
                config = {**config, "identity_provider": True}
            configs.add_connector(
                session=session, settings=ctx.settings, kind=kind, name=NAMES[kind], config=config
            )
    for result in sync_many(engine=ctx.engine, settings=ctx.settings):
        if result.status != "succeeded":
            raise RuntimeError(f"demo sync of {result.connector} failed: {result.error}")
        c = result.counts
        ctx.say(
            f"synced {result.connector}: {c.get('accounts', 0)} accounts, "
            f"{c.get('assignments', 0)} seats, {c.get('products', 0)} products"
        )
