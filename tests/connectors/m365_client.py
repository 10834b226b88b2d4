"""The Microsoft 365 connector as the connector tests drive it: fast retries, waits
recorded instead of slept, records sorted by type."""

from __future__ import annotations

from typing import Any

from connectors.base import Record
from connectors.http import RetryPolicy
from connectors.microsoft365 import Microsoft365Connector
from tests.connectors.conftest import SandboxHandle

FAST = RetryPolicy(max_attempts=4, backoff_base=0.01, backoff_cap=0.05, budget=10)


class Sleeps(list[float]):
    """Records the waits the retry layer asked for instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def connector(
    sb: SandboxHandle, *, retry: RetryPolicy = FAST, sleep: Any = None, **overrides: Any
) -> Microsoft365Connector:
    return Microsoft365Connector(
        {**sb.config, **overrides},
        retry=retry,
        sleep=sleep if sleep is not None else (lambda _s: None),
    )


def sync(sb: SandboxHandle, **kwargs: Any) -> list[Record]:
    return list(connector(sb, **kwargs).fetch())


def of(records: list[Record], cls: type[Any]) -> list[Any]:
    return [r for r in records if isinstance(r, cls)]


def m365_people(sb: SandboxHandle) -> list[Any]:
    return [p for p in sb.company.persons if p.m365 is not None]
