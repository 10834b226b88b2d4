"""Settings: a value that makes no sense is refused at start, naming its variable."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from app.core.settings import Settings


def _settings(**values: Any) -> Settings:
    return Settings(secret_key="k" * 40, _env_file=None, **values)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("values", "needle"),
    [
        ({"smtp_port": 70000}, "smtp_port"),
        ({"smtp_port": 0}, "smtp_port"),
        ({"session_max_age": 0}, "session_max_age"),
        ({"http_timeout": 0}, "http_timeout"),
        ({"smtp_timeout": -1}, "smtp_timeout"),
        ({"smtp_max_attempts": 0}, "smtp_max_attempts"),
        ({"inactive_days": -10}, "inactive_days"),
        ({"never_used_grace_days": -1}, "never_used_grace_days"),
        ({"base_url": "not a url"}, "base_url"),
        ({"mail_from": "not-an-email"}, "SEATWISE_MAIL_FROM"),
        ({"mail_from": "Seatwise <not-an-email>"}, "SEATWISE_MAIL_FROM"),
        ({"mail_from": "a@acme.example, b@acme.example"}, "SEATWISE_MAIL_FROM"),
        ({"smtp_starttls": True, "smtp_ssl": True}, "choose one"),
        ({"database_url": "postgresql+psycopg2://u@127.0.0.1/x"}, "does not ship"),
    ],
)
def test_nonsense_values_are_refused_naming_the_setting(
    values: dict[str, Any], needle: str
) -> None:
    with pytest.raises(ValidationError, match=needle):
        _settings(**values)


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("seatwise@acme.example", "seatwise@acme.example"),
        ("Seatwise <seatwise@acme.example>", "Seatwise <seatwise@acme.example>"),
        ("  Seatwise Büro <Seatwise@ACME.example> ", "Seatwise Büro <seatwise@acme.example>"),
        ('"Seatwise, Acme" <seatwise@acme.example>', '"Seatwise, Acme" <seatwise@acme.example>'),
    ],
)
def test_mail_from_takes_an_address_with_or_without_a_display_name(value: str, kept: str) -> None:
    assert _settings(mail_from=value).mail_from == kept


def test_cookies_are_secure_in_production_unless_turned_off() -> None:
    assert _settings().cookie_secure is False
    assert _settings(environment="production").cookie_secure is True
    assert _settings(environment="production", cookie_secure=False).cookie_secure is False


def test_the_defaults_are_valid() -> None:
    settings = _settings()
    assert (settings.smtp_port, settings.mail_from) == (25, "seatwise@localhost")
