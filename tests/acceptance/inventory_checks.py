"""Reading ``inventory products|accounts --json`` the way a checker compares them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def products_by_id(rows: list[dict[str, Any]], connector: str) -> dict[str, dict[str, Any]]:
    """One connector's products keyed by external id (each id once)."""
    mine = [r for r in rows if r["connector"] == connector]
    by_id = {r["external_id"]: r for r in mine}
    assert len(by_id) == len(mine), "a product is listed twice"
    return by_id


def accounts_by_id(rows: list[dict[str, Any]], connector: str) -> dict[str, dict[str, Any]]:
    """One connector's accounts keyed by external id (each id once)."""
    mine = [r for r in rows if r["connector"] == connector]
    by_id = {r["external_id"]: r for r in mine}
    assert len(by_id) == len(mine), "an account is listed twice"
    return by_id


def assert_times(value: str | None, expected: datetime | None, who: object) -> None:
    """``value`` is ISO 8601 in UTC and equals ``expected`` to the second (or both null)."""
    if expected is None:
        assert value is None, f"{who}: expected no activity, got {value}"
        return
    assert isinstance(value, str), f"{who}: expected {expected.isoformat()}, got {value}"
    parsed = datetime.fromisoformat(value)
    offset = parsed.utcoffset()
    assert offset is not None and offset.total_seconds() == 0, f"{who}: {value} is not UTC"
    assert parsed.astimezone(UTC).replace(microsecond=0) == expected.replace(microsecond=0), (
        f"{who}: {value} != {expected.isoformat()}"
    )
