"""Fixtures of the analytics tests."""

from __future__ import annotations

import pytest

from tests.analytics.company import Company


@pytest.fixture
def company() -> Company:
    """Return an empty company to add rows to."""
    return Company()
