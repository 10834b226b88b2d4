"""Microsoft 365 connector faults against the Graph sandbox: throttling, server errors,
revoked tokens, broken and slow answers, unreachable hosts and untrusted certificates."""

from __future__ import annotations

import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from connectors.base import (
    AccountRecord,
    ConnectorAuthError,
    ConnectorDataError,
    ConnectorRateLimited,
    ConnectorUnavailable,
    Record,
)
from connectors.http import RetryPolicy
from connectors.sandbox.tls import make_tls
from tests.connectors.conftest import SandboxHandle
from tests.connectors.m365_client import FAST, Sleeps, connector, m365_people, of, sync


def test_throttling_waits_retry_after_then_completes(graph_sandbox: SandboxHandle) -> None:
    graph_sandbox.simulator.faults.throttle = 2
    graph_sandbox.simulator.faults.retry_after = "7"
    sleeps = Sleeps()
    records = sync(graph_sandbox, sleep=sleeps)
    assert sleeps == [7.0, 7.0]
    assert len(of(records, AccountRecord)) == len(m365_people(graph_sandbox))


def test_throttling_without_retry_after_backs_off_exponentially(
    graph_sandbox: SandboxHandle,
) -> None:
    graph_sandbox.simulator.faults.throttle = 3
    graph_sandbox.simulator.faults.retry_after = None
    sleeps = Sleeps()
    policy = RetryPolicy(max_attempts=5, backoff_base=1, backoff_cap=3, budget=60)
    sync(graph_sandbox, sleep=sleeps, retry=policy)
    assert len(sleeps) == 3
    assert 0.5 <= sleeps[0] <= 1 and 1 <= sleeps[1] <= 2 and 1.5 <= sleeps[2] <= 3


def test_429_storm_gives_up_with_rate_limited_error(graph_sandbox: SandboxHandle) -> None:
    graph_sandbox.simulator.faults.throttle = -1
    graph_sandbox.simulator.faults.retry_after = "2"
    sleeps = Sleeps()
    with pytest.raises(ConnectorRateLimited, match="429") as caught:
        sync(graph_sandbox, sleep=sleeps)
    assert caught.value.retry_after == 2.0
    assert f"{FAST.max_attempts} attempts" in str(caught.value)
    assert len(sleeps) == FAST.max_attempts - 1


def test_retry_after_beyond_the_budget_gives_up_at_once(graph_sandbox: SandboxHandle) -> None:
    graph_sandbox.simulator.faults.throttle = -1
    graph_sandbox.simulator.faults.retry_after = "3600"
    sleeps = Sleeps()
    with pytest.raises(ConnectorRateLimited, match=r"\(HTTP 429\) and asked") as caught:
        sync(graph_sandbox, sleep=sleeps)
    assert sleeps == []
    assert "a wait of 3600 s, more than the 10 s Seatwise waits for one request" in str(
        caught.value
    )
    assert "try the sync again in 3600 s" in str(caught.value)


def test_503_once_is_retried_and_sync_completes(paged: SandboxHandle) -> None:
    paged.simulator.faults.server_error = 503
    paged.simulator.faults.server_error_page = 2
    paged.simulator.faults.server_error_times = 1
    records = sync(paged)
    assert len(of(records, AccountRecord)) == len(m365_people(paged))


def test_500_on_page_3_that_never_heals_raises_unavailable(paged: SandboxHandle) -> None:
    paged.simulator.faults.server_error_page = 3
    paged.simulator.faults.server_error_times = -1
    seen: list[Record] = []
    with pytest.raises(ConnectorUnavailable, match="HTTP 500") as caught:
        for record in connector(paged).fetch():
            seen.append(record)
    assert "try again later" in str(caught.value)
    # Graph's own code and message say what failed on its side, for a support ticket.
    assert "HTTP 500 (generalException: The service is temporarily unavailable.)" in str(
        caught.value
    )
    assert len(of(seen, AccountRecord)) == 20, "pages 1 and 2 were streamed before the failure"
    page3 = [r for r in paged.simulator.requests if "$skiptoken" in r[2]]
    assert len(page3) == 1 + FAST.max_attempts


def test_401_mid_pagination_gets_a_fresh_token_and_completes(paged: SandboxHandle) -> None:
    paged.simulator.faults.unauthorized_page = 2
    paged.simulator.faults.unauthorized_times = 1
    records = sync(paged)
    assert len(of(records, AccountRecord)) == len(m365_people(paged))
    token_posts = [r for r in paged.simulator.requests if r[2].endswith("/oauth2/v2.0/token")]
    assert len(token_posts) == 2


def test_401_that_persists_mid_pagination_is_auth_error(paged: SandboxHandle) -> None:
    paged.simulator.faults.unauthorized_page = 2
    paged.simulator.faults.unauthorized_times = -1
    with pytest.raises(ConnectorAuthError, match="rejected the access token"):
        sync(paged)


def test_an_answer_broken_off_mid_body_says_so_not_that_the_host_is_unreachable(
    paged: SandboxHandle,
) -> None:
    paged.simulator.faults.cut_off_page = 2
    with pytest.raises(ConnectorUnavailable, match="broke off its answer") as caught:
        sync(paged)
    assert "Cannot connect" not in str(caught.value)


def test_malformed_json_is_data_error_naming_the_url(paged: SandboxHandle) -> None:
    paged.simulator.faults.malformed_page = 2
    with pytest.raises(ConnectorDataError, match=r"not valid JSON from https://.*/v1.0/users"):
        sync(paged)


def test_token_endpoint_throttling_is_retried_after_its_retry_after(
    graph_sandbox: SandboxHandle,
) -> None:
    graph_sandbox.simulator.faults.token_error = 429
    graph_sandbox.simulator.faults.token_error_times = 2
    graph_sandbox.simulator.faults.retry_after = "3"
    sleeps = Sleeps()
    records = sync(graph_sandbox, sleep=sleeps)
    assert sleeps == [3.0, 3.0]
    assert len(of(records, AccountRecord)) == len(m365_people(graph_sandbox))


def test_token_endpoint_that_keeps_throttling_is_rate_limited_not_bad_credentials(
    graph_sandbox: SandboxHandle,
) -> None:
    graph_sandbox.simulator.faults.token_error = 429
    graph_sandbox.simulator.faults.token_error_times = -1
    graph_sandbox.simulator.faults.retry_after = "2"
    sleeps = Sleeps()
    with pytest.raises(ConnectorRateLimited, match="kept throttling token requests") as caught:
        sync(graph_sandbox, sleep=sleeps)
    assert f"HTTP 429, {FAST.max_attempts} attempts" in str(caught.value)
    assert "credentials" not in str(caught.value) and caught.value.retry_after == 2.0
    assert sleeps == [2.0] * (FAST.max_attempts - 1)


@pytest.mark.parametrize("status", [500, 503])
def test_token_endpoint_server_errors_are_retried_then_named(
    graph_sandbox: SandboxHandle, status: int
) -> None:
    faults = graph_sandbox.simulator.faults
    faults.token_error, faults.token_error_times = status, 1
    assert len(of(sync(graph_sandbox), AccountRecord)) == len(m365_people(graph_sandbox))
    faults.token_error_times = -1
    with pytest.raises(ConnectorUnavailable) as caught:
        sync(graph_sandbox)
    assert str(caught.value) == (
        f"Microsoft Entra ID at {urlsplit(graph_sandbox.config['authority_host']).netloc} kept "
        f"failing token requests with HTTP {status} after {FAST.max_attempts} attempts; the "
        "service may be down, try again later."
    )


def test_openid_discovery_that_keeps_failing_is_named_as_an_outage(
    graph_sandbox: SandboxHandle,
) -> None:
    faults = graph_sandbox.simulator.faults
    faults.token_error, faults.discovery_error_times = 503, 1
    assert len(of(sync(graph_sandbox), AccountRecord)) == len(m365_people(graph_sandbox))
    faults.discovery_error_times = -1
    with pytest.raises(ConnectorUnavailable) as caught:
        sync(graph_sandbox)
    assert f"kept failing discovery requests with HTTP 503 after {FAST.max_attempts}" in str(
        caught.value
    )


def test_unreadable_token_answer_is_a_data_error(graph_sandbox: SandboxHandle) -> None:
    graph_sandbox.simulator.faults.token_malformed = True
    with pytest.raises(ConnectorDataError, match="Microsoft Entra ID sent an unreadable answer"):
        sync(graph_sandbox)


def test_slow_response_times_out_with_clear_message(graph_sandbox: SandboxHandle) -> None:
    graph_sandbox.simulator.faults.slow_seconds = 3
    start = time.monotonic()
    with pytest.raises(ConnectorUnavailable, match=r"did not answer within 0.5 s"):
        sync(graph_sandbox, timeout_seconds=0.5)
    assert time.monotonic() - start < 2.5


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts TCP connections but never says a word."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


def test_unreachable_host_fails_within_the_timeout(graph_sandbox: SandboxHandle) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    url = f"https://127.0.0.1:{closed}"
    start = time.monotonic()
    with pytest.raises(ConnectorUnavailable, match=rf"127.0.0.1:{closed}"):
        connector(graph_sandbox, authority_host=url, graph_url=url, timeout_seconds=2).check()
    assert time.monotonic() - start < 2


def test_host_that_never_answers_fails_within_the_timeout(
    graph_sandbox: SandboxHandle, silent_port: int
) -> None:
    url = f"https://127.0.0.1:{silent_port}"
    start = time.monotonic()
    with pytest.raises(ConnectorUnavailable, match="within 1 s"):
        connector(graph_sandbox, authority_host=url, timeout_seconds=1).check()
    assert time.monotonic() - start < 3


# --------------------------------------------------------------------------- TLS, clouds


def test_untrusted_certificate_fails_with_advice_to_set_ca_bundle(
    graph_sandbox: SandboxHandle,
) -> None:
    other_ca = make_tls(Path(tempfile.mkdtemp(prefix="other-ca-"))).ca_path
    with pytest.raises(ConnectorUnavailable, match=r"not trusted.*ca_bundle"):
        connector(graph_sandbox, ca_bundle=str(other_ca)).check()


def test_without_ca_bundle_the_sandbox_certificate_is_not_trusted(
    graph_sandbox: SandboxHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with pytest.raises(ConnectorUnavailable, match="not trusted"):
        connector(graph_sandbox, ca_bundle=None).check()


def test_ca_bundle_wins_over_requests_ca_bundle_environment(
    graph_sandbox: SandboxHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    other_ca = make_tls(Path(tempfile.mkdtemp(prefix="env-ca-"))).ca_path
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(other_ca))
    assert "Connected" in connector(graph_sandbox).check()
