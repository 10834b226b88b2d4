"""Company addresses on internal and test domains are addresses too."""

from __future__ import annotations

import pytest

from app.core.emails import normalised_address
from app.core.settings import Settings


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Ann@Example.com", "ann@example.com"),
        ("buyer@acme.test", "buyer@acme.test"),
        ("ops@corp.local", "ops@corp.local"),
        ("root@localhost", "root@localhost"),
    ],
)
def test_internal_and_test_domains_are_accepted(given: str, expected: str) -> None:
    assert normalised_address(given) == expected


@pytest.mark.parametrize("bad", ["bob@", "no-at-sign", "a@b@c", "a@-x.com"])
def test_malformed_addresses_are_refused_naming_them(bad: str) -> None:
    with pytest.raises(ValueError, match=f"'{bad}' is not an e-mail address"):
        normalised_address(bad)


def test_settings_take_procurement_lists_on_internal_domains() -> None:
    settings = Settings(procurement_emails="Buyer@Acme.test; ops@corp.local")  # type: ignore[arg-type]
    assert settings.procurement_emails == ["buyer@acme.test", "ops@corp.local"]
