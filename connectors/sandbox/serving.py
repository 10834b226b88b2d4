"""Run an ASGI simulator over HTTPS in a background thread.

The socket is bound before uvicorn starts, so ``port=0`` gives a free port that is
known (and listening) by the time ``serve_in_thread`` returns.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import uvicorn

from connectors.sandbox.tls import SandboxTLS


@dataclass(slots=True)
class RunningServer:
    """A simulator being served; ``url`` is its base URL without a trailing slash."""

    url: str
    port: int
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        """Make uvicorn exit without waiting for idle keep-alive connections."""
        self.server.should_exit = True
        self.server.force_exit = True
        self.thread.join(timeout=10)


def serve_in_thread(
    app: Any, *, tls: SandboxTLS, host: str = "127.0.0.1", port: int = 0
) -> RunningServer:
    """Serve ``app`` over HTTPS from a daemon thread.

    Args:
        app: An ASGI application.
        tls: The certificate and key to serve with.
        host: Interface to bind; loopback by default.
        port: Port to bind; 0 picks a free one.

    Returns:
        The running server, already accepting connections.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    bound = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        ssl_certfile=str(tls.cert_path),
        ssl_keyfile=str(tls.key_path),
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_keep_alive=30,
    )
    server = uvicorn.Server(config)

    def run() -> None:
        asyncio.run(server.serve(sockets=[sock]))

    thread = threading.Thread(target=run, name=f"sandbox-{bound}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"sandbox server on port {bound} did not start")
        time.sleep(0.01)
    return RunningServer(url=f"https://{host}:{bound}", port=bound, server=server, thread=thread)
