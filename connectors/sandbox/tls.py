"""A throwaway certificate authority and server certificate for the simulators.

The simulators speak HTTPS like the real vendors, so connectors exercise the same
TLS path (and the ``ca_bundle`` option) they use in production.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import trustme


@dataclass(frozen=True, slots=True)
class SandboxTLS:
    """Paths of the CA certificate (to trust) and the server's certificate and key."""

    ca_path: Path
    cert_path: Path
    key_path: Path


def make_tls(directory: Path) -> SandboxTLS:
    """Create a CA and a certificate for ``127.0.0.1`` and ``localhost`` in ``directory``.

    Args:
        directory: Where to write ``ca.pem``, ``server.pem`` and ``server.key``;
            created if missing.

    Returns:
        The paths of the three files.
    """
    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="Seatwise sandbox")
    cert = ca.issue_cert("127.0.0.1", "localhost")
    tls = SandboxTLS(
        ca_path=directory / "ca.pem",
        cert_path=directory / "server.pem",
        key_path=directory / "server.key",
    )
    ca.cert_pem.write_to_path(str(tls.ca_path))
    cert.private_key_pem.write_to_path(str(tls.key_path))
    tls.key_path.chmod(0o600)
    with tls.cert_path.open("wb") as f:
        for blob in cert.cert_chain_pems:
            f.write(blob.bytes())
    return tls
