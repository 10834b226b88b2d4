"""Turn a connector's ``ca_bundle`` setting into a file path the HTTP libraries accept.

``ca_bundle`` may be the path of a PEM file or the PEM text itself (handy in a web form).
Libraries such as httplib2 and requests only take a path, so PEM text is written once to a
private temporary file named after its content hash.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from connectors.base import ConnectorConfigError

_PEM_MARKER = "-----BEGIN CERTIFICATE-----"


def ca_bundle_path(value: str | None) -> str | None:
    """Return a readable PEM file path for ``value``, or None to trust the system store.

    Args:
        value: A path to a PEM file, the PEM text itself, or None.

    Returns:
        The path of a PEM file holding the certificates to trust, or None.

    Raises:
        ConnectorConfigError: The path does not exist or holds no PEM certificate.
    """
    if value is None or not value.strip():
        return None
    if _PEM_MARKER in value:
        if not value.isascii():
            raise ConnectorConfigError(
                "ca_bundle: the PEM text holds characters other than ASCII; paste the "
                "certificate exactly as exported"
            )
        digest = hashlib.sha256(value.encode()).hexdigest()[:16]
        target = Path(tempfile.gettempdir()) / f"seatwise-ca-{digest}.pem"
        if not target.exists():
            fd, tmp = tempfile.mkstemp(prefix="seatwise-ca-", suffix=".pem")
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(value)
            os.replace(tmp, target)
        return str(target)
    try:
        path = Path(value).expanduser()
        found = path.is_file()
    except (OSError, RuntimeError, ValueError):  # too long, an unknown ~user, a NUL
        found = False
    if not found:
        raise ConnectorConfigError(
            f"ca_bundle: no file at {value!r}. Give the path of a PEM file holding the CA "
            "certificates to trust (or the PEM text itself), or leave ca_bundle empty to "
            "trust the system's certificate store."
        )
    try:
        text = path.read_text(encoding="ascii", errors="replace")
    except OSError as exc:
        raise ConnectorConfigError(f"ca_bundle: cannot read {value!r}: {exc}.") from exc
    if _PEM_MARKER not in text:
        raise ConnectorConfigError(
            f"ca_bundle: {value!r} holds no PEM certificate ('{_PEM_MARKER}' not found). "
            "Export the CA certificate in PEM format and point ca_bundle at it."
        )
    return str(path)
