"""Serve a hand-written vendor app over HTTPS on 127.0.0.1 with a private CA (trustme).

The connectors must trust the server only through their ``ca_bundle`` setting, the
way an outside checker runs them against its own servers.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trustme
import uvicorn


@dataclass
class PrivateCA:
    """A CA and a certificate for 127.0.0.1/localhost, written as PEM files."""

    ca_path: Path
    cert_path: Path
    key_path: Path


def make_private_ca(directory: Path) -> PrivateCA:
    """Create a fresh CA and a server certificate signed by it in ``directory``."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    paths = PrivateCA(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    ca.cert_pem.write_to_path(str(paths.ca_path))
    paths.cert_path.write_bytes(b"".join(p.bytes() for p in cert.cert_chain_pems))
    cert.private_key_pem.write_to_path(str(paths.key_path))
    return paths


class ServedApp:
    """An ASGI app running under uvicorn in a daemon thread; ``url`` has no trailing slash."""

    def __init__(self, app: Any, tls: PrivateCA) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port: int = sock.getsockname()[1]
        self.url = f"https://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            ssl_certfile=str(tls.cert_path),
            ssl_keyfile=str(tls.key_path),
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("test vendor server did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self._server.should_exit = True
        self._thread.join(timeout=5)


class SilentListener:
    """A TCP port that accepts connections and never answers (a host that hangs)."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port: int = self._sock.getsockname()[1]
        self.url = f"https://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Close the port."""
        self._sock.close()


def closed_port() -> int:
    """A port on 127.0.0.1 nobody listens on (connection refused)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port: int = sock.getsockname()[1]
    sock.close()
    return port
