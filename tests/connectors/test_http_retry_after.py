"""``Retry-After`` in both its forms, and the backoff used without it (``connectors.http``).

RFC 9110 allows ``Retry-After`` as delta-seconds or as an HTTP-date; Graph sends seconds,
proxies and other Graph-compatible servers may send a date. The other tests send only
seconds, so a date read wrongly (its sign flipped, or not read at all and replaced by
backoff) went unnoticed.
"""

from __future__ import annotations

import random
import time
from email.utils import formatdate
from typing import Any

import httpx
import pytest

from connectors.base import AccountRecord, ConnectorRateLimited
from connectors.http import RetryPolicy, backoff_seconds, retry_after_seconds
from tests.connectors.conftest import SandboxHandle
from tests.connectors.m365_client import Sleeps, sync

FAST = RetryPolicy(max_attempts=4, backoff_base=0.01, backoff_cap=0.05, budget=30)


def _response(value: str | None) -> httpx.Response:
    headers = {} if value is None else {"Retry-After": value}
    return httpx.Response(429, headers=headers, request=httpx.Request("GET", "https://g.test/"))


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("7", 7.0), ("0", 0.0), ("1.5", 1.5), (" 12 ", 12.0), ("-3", 0.0), ("3600", 3600.0)],
)
def test_delta_seconds_are_read_as_seconds_never_below_zero(value: str, seconds: float) -> None:
    assert retry_after_seconds(_response(value)) == seconds


@pytest.mark.parametrize("value", [None, "", "soon", "Tomorrow at noon", "12 s"])
def test_no_or_an_unreadable_retry_after_is_none(value: str | None) -> None:
    assert retry_after_seconds(_response(value)) is None


def test_an_http_date_in_the_future_is_the_time_until_then() -> None:
    wait = retry_after_seconds(_response(formatdate(time.time() + 120, usegmt=True)))
    assert wait is not None and 117 <= wait <= 121


def test_an_http_date_in_the_past_means_retry_now() -> None:
    assert retry_after_seconds(_response(formatdate(time.time() - 600, usegmt=True))) == 0.0


@pytest.fixture
def far_from_utc(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The process's local time zone 5.5 hours from UTC (a server in India, say)."""
    monkeypatch.setenv("TZ", "IST-5:30")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("far_from_utc")
def test_every_date_form_rfc_9110_requires_reading_is_utc_whatever_the_local_zone() -> None:
    when = time.time() + 300
    gmt = time.gmtime(when)
    forms = (
        formatdate(when, usegmt=True),  # IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
        time.strftime("%A, %d-%b-%y %H:%M:%S GMT", gmt),  # obsolete RFC 850 form
        time.strftime("%a %b ", gmt) + f"{gmt.tm_mday:2d}" + time.strftime(" %H:%M:%S %Y", gmt),
        formatdate(when).replace("+0000", "-0000"),  # RFC 5322's "UTC, zone unknown"
    )  # the third: asctime(), "Sun Nov  6 08:49:37 1994", which names no zone: it is UTC
    for value in forms:
        wait = retry_after_seconds(_response(value))
        assert wait is not None and 296 <= wait <= 301, (value, wait)


def test_backoff_doubles_from_its_base_up_to_its_cap_with_jitter_in_the_upper_half() -> None:
    policy = RetryPolicy(max_attempts=8, backoff_base=0.5, backoff_cap=8.0)
    state = random.getstate()
    random.seed(20261125)
    try:
        for attempt, full in enumerate((0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0), start=1):
            waits = [backoff_seconds(policy, attempt) for _ in range(200)]
            assert all(full / 2 <= w <= full for w in waits), (attempt, min(waits), max(waits))
            assert max(waits) > 0.9 * full and min(waits) < 0.6 * full, attempt
    finally:
        random.setstate(state)


# --------------------------------------------------------------------------- over HTTPS


def _sync(sb: SandboxHandle, sleeps: Sleeps, retry: RetryPolicy = FAST) -> list[Any]:
    return sync(sb, retry=retry, sleep=sleeps)


def test_graph_throttling_with_an_http_date_waits_until_that_date(
    graph_sandbox: SandboxHandle,
) -> None:
    graph_sandbox.simulator.faults.throttle = 2
    graph_sandbox.simulator.faults.retry_after = formatdate(time.time() + 6, usegmt=True)
    sleeps = Sleeps()
    records = _sync(graph_sandbox, sleeps)
    assert len(sleeps) == 2
    assert all(3 <= s <= 6 for s in sleeps), sleeps  # not backoff's hundredths of a second
    assert sum(isinstance(r, AccountRecord) for r in records) == len(
        [p for p in graph_sandbox.company.persons if p.m365 is not None]
    )


def test_graph_throttling_until_a_date_beyond_the_budget_gives_up_at_once(
    graph_sandbox: SandboxHandle,
) -> None:
    graph_sandbox.simulator.faults.throttle = -1
    graph_sandbox.simulator.faults.retry_after = formatdate(time.time() + 3600, usegmt=True)
    sleeps = Sleeps()
    with pytest.raises(
        ConnectorRateLimited, match=r"\(HTTP 429\) and asked for a wait of 3[56]"
    ) as caught:
        _sync(graph_sandbox, sleeps)
    assert sleeps == []
    assert caught.value.retry_after is not None and 3590 <= caught.value.retry_after <= 3600


def test_a_negative_retry_after_retries_at_once_rather_than_sleeping_a_negative_time(
    graph_sandbox: SandboxHandle,
) -> None:
    graph_sandbox.simulator.faults.throttle = 1
    graph_sandbox.simulator.faults.retry_after = "-5"
    sleeps = Sleeps()
    _sync(graph_sandbox, sleeps)
    assert sleeps == [0.0]  # time.sleep(-5) raises ValueError


def test_graph_throttling_without_retry_after_backs_off_within_the_policy(
    graph_sandbox: SandboxHandle,
) -> None:
    graph_sandbox.simulator.faults.throttle = 3
    graph_sandbox.simulator.faults.retry_after = None
    sleeps = Sleeps()
    policy = RetryPolicy(max_attempts=4, backoff_base=2, backoff_cap=5, budget=60)
    _sync(graph_sandbox, sleeps, policy)
    assert len(sleeps) == 3
    assert 1 <= sleeps[0] <= 2 and 2 <= sleeps[1] <= 4 and 2.5 <= sleeps[2] <= 5, sleeps
