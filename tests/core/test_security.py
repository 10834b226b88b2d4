"""Secrets at rest, password hashing, settings validation."""

from __future__ import annotations

import pytest

from app.core.security import SecretBox, SecretDecryptionError, hash_password, verify_password
from app.core.settings import Settings


def test_secret_box_round_trip() -> None:
    box = SecretBox("a" * 40)
    token = box.encrypt({"client_secret": "s3cr3t"})
    assert "s3cr3t" not in token
    assert box.decrypt(token) == {"client_secret": "s3cr3t"}


def test_wrong_key_gives_clear_error_not_garbage() -> None:
    token = SecretBox("a" * 40).encrypt({"client_secret": "s3cr3t"})
    with pytest.raises(SecretDecryptionError, match="SEATWISE_SECRET_KEY"):
        SecretBox("b" * 40).decrypt(token)


def test_tampered_token_refused() -> None:
    box = SecretBox("a" * 40)
    token = box.encrypt({"x": 1})
    with pytest.raises(SecretDecryptionError):
        box.decrypt(token[:-4] + "AAAA")


def test_password_hash_is_argon2_and_verifies() -> None:
    hashed = hash_password("correct horse")
    assert hashed.startswith("$argon2id$")
    assert verify_password("correct horse", hashed)
    assert not verify_password("wrong", hashed)
    assert not verify_password("anything", None)


def test_production_refuses_missing_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SEATWISE_SECRET_KEY", raising=False)
    with pytest.raises(ValueError, match="SEATWISE_SECRET_KEY is not set"):
        Settings(environment="production", secret_key="", _env_file=None)  # type: ignore[call-arg]


def test_development_generates_key_and_says_so() -> None:
    settings = Settings(environment="development", secret_key="", _env_file=None)  # type: ignore[call-arg]
    assert settings.secret_key and settings.secret_key_generated


def test_bad_timezone_and_currency_named() -> None:
    with pytest.raises(ValueError, match="SEATWISE_TIMEZONE"):
        Settings(timezone="Mars/Base", _env_file=None)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="SEATWISE_REPORTING_CURRENCY"):
        Settings(reporting_currency="EURO", _env_file=None)  # type: ignore[call-arg]
