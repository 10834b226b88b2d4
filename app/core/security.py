"""Password hashing, API tokens, roles and encryption of connector secrets at rest."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from enum import StrEnum
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.core.errors import SeatwiseError


class Role(StrEnum):
    """User roles, from most to least powerful."""

    admin = "admin"
    asset_manager = "asset_manager"
    finance = "finance"
    procurement = "procurement"
    viewer = "viewer"


VALID_ROLES = tuple(role.value for role in Role)

_hasher = PasswordHasher()
# Verifying against this keeps the time of a failed login the same for unknown e-mails.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """Check a password; with no hash, spend the same time and say no."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_api_token() -> tuple[str, str, str]:
    """Make a token; returns (the token shown once, its display prefix, its hash to store)."""
    token = "sw_" + secrets.token_urlsafe(32)
    return token, token[:10], hash_token(token)


def hash_token(token: str) -> str:
    """SHA-256 of a high-entropy token (no salt needed: tokens are random)."""
    return hashlib.sha256(token.encode()).hexdigest()


class SecretDecryptionError(SeatwiseError):
    """Stored secrets cannot be decrypted with the current SECRET_KEY."""


class SecretBox:
    """Encrypt connector secrets with a Fernet key derived from ``SECRET_KEY``.

    Fernet authenticates the ciphertext, so a wrong key or tampered data raises instead
    of decrypting to garbage.
    """

    def __init__(self, secret_key: str) -> None:
        if not secret_key:
            raise ValueError("SecretBox needs a non-empty SECRET_KEY")
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=b"seatwise", info=b"connector-secrets"
        ).derive(secret_key.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def encrypt(self, values: dict[str, Any]) -> str:
        """Encrypt a dict of secret values to a printable token."""
        return self._fernet.encrypt(json.dumps(values, sort_keys=True).encode()).decode()

    def decrypt(self, token: str) -> dict[str, Any]:
        """Decrypt a token made by :meth:`encrypt`; raise a clear error on a wrong key."""
        try:
            data = self._fernet.decrypt(token.encode())
        except (InvalidToken, ValueError):
            raise SecretDecryptionError(
                "stored connector secrets cannot be decrypted: SEATWISE_SECRET_KEY differs from "
                "the key they were saved with (restore the old key, or re-enter the secrets)"
            ) from None
        loaded = json.loads(data)
        if not isinstance(loaded, dict):
            raise SecretDecryptionError("stored connector secrets are not a JSON object")
        return loaded
