"""Microsoft 365 connector against the HTTPS Graph sandbox on 127.0.0.1."""

from __future__ import annotations

import socket
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
import pytest

from connectors.base import (
    AccountRecord,
    AssignmentRecord,
    ConnectorAuthError,
    ConnectorConfigError,
    ConnectorDataError,
    ConnectorPermissionError,
    ConnectorRateLimited,
    ConnectorUnavailable,
    ProductRecord,
    Record,
    SyncWarning,
)
from connectors.http import RetryPolicy
from connectors.microsoft365 import NEXT_LINK, GraphPage, Microsoft365Connector
from connectors.rows import Chunk, records
from connectors.sandbox.serving import serve_in_thread
from connectors.sandbox.tls import make_tls
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


@pytest.fixture
def paged(graph_sandbox: SandboxHandle) -> SandboxHandle:
    """Serve 10 users a page so the small company spans several pages."""
    graph_sandbox.simulator.faults.page_size_cap = 10
    return graph_sandbox


def test_next_links_naming_another_server_are_asked_of_the_configured_one(
    paged: SandboxHandle,
) -> None:
    # A server behind a proxy, or a simulator, may name Graph's public host in its links:
    # the pages (and the token) still go to graph_url, and every user arrives.
    paged.simulator.faults.next_link_base = "https://graph.microsoft.com"
    accounts = of(sync(paged), AccountRecord)
    assert len(accounts) == len(m365_people(paged)) > 10


# --------------------------------------------------------------------------- mapping


def test_products_carry_prepaid_enabled_consumed_units_and_friendly_names(
    graph_sandbox: SandboxHandle,
) -> None:
    products = {p.external_id: p for p in of(sync(graph_sandbox), ProductRecord)}
    for sku in graph_sandbox.company.m365_skus:
        product = products[sku.sku_id]
        assert product.sku == sku.part_number
        assert product.seats_purchased == sku.seats_purchased
        assert product.seats_consumed == sku.seats_consumed
    by_part = {p.sku: p.name for p in products.values()}
    assert by_part["SPE_E3"] == "Microsoft 365 E3"
    assert by_part["ENTERPRISEPACK"] == "Office 365 E3"
    assert by_part["SPE_E5"] == "Microsoft 365 E5"


def test_account_email_is_mail_else_user_principal_name_lower_cased(
    graph_sandbox: SandboxHandle,
) -> None:
    accounts = {a.external_id: a for a in of(sync(graph_sandbox), AccountRecord)}
    people = m365_people(graph_sandbox)
    assert any(p.m365.mail is None for p in people), "sandbox should plant users without mail"
    assert any(p.m365.mail and p.m365.mail != p.m365.mail.lower() for p in people)
    for p in people:
        expected = (p.m365.mail or p.m365.user_principal_name).lower()
        assert accounts[p.m365.object_id].email == expected


def test_disabled_account_is_suspended_and_guest_user_type_is_guest(
    graph_sandbox: SandboxHandle,
) -> None:
    accounts = {a.external_id: a for a in of(sync(graph_sandbox), AccountRecord)}
    people = m365_people(graph_sandbox)
    assert any(not p.m365.account_enabled for p in people)
    assert any(p.m365.user_type == "Guest" for p in people)
    for p in people:
        account = accounts[p.m365.object_id]
        assert account.status == ("active" if p.m365.account_enabled else "suspended")
        assert account.is_guest == (p.m365.user_type == "Guest")
        assert account.department == p.m365.department
        assert account.created_at == p.m365.created
        assert account.activity_known


def test_last_active_is_latest_of_the_three_sign_in_fields(graph_sandbox: SandboxHandle) -> None:
    accounts = {a.external_id: a for a in of(sync(graph_sandbox), AccountRecord)}
    latest_not_interactive = 0
    for p in m365_people(graph_sandbox):
        m = p.m365
        times = [
            t
            for t in (m.last_sign_in, m.last_non_interactive_sign_in, m.last_successful_sign_in)
            if t is not None
        ]
        assert accounts[m.object_id].last_active_at == (max(times) if times else None)
        latest_not_interactive += bool(times) and m.last_sign_in != max(times)
    assert latest_not_interactive, "sandbox should plant non-interactive-latest sign-ins"


def test_one_assignment_per_assigned_licence(graph_sandbox: SandboxHandle) -> None:
    records = sync(graph_sandbox)
    got = sorted(
        (a.account_external_id, a.product_external_id) for a in of(records, AssignmentRecord)
    )
    sku_id = {s.part_number: s.sku_id for s in graph_sandbox.company.m365_skus}
    expected = sorted(
        (p.m365.object_id, sku_id[part]) for p in m365_people(graph_sandbox) for part in p.m365.skus
    )
    assert got == expected


def test_pagination_follows_next_link_to_the_last_page(paged: SandboxHandle) -> None:
    records = sync(paged)
    assert len(of(records, AccountRecord)) == len(m365_people(paged))
    pages = [r for r in paged.simulator.requests if r[2].startswith("/v1.0/users")]
    assert len(pages) == -(-len(m365_people(paged)) // 10)
    assert "$top=999" in pages[0][2]
    assert all("$skiptoken=" in r[2] for r in pages[1:])


def test_sync_makes_no_per_user_requests(paged: SandboxHandle) -> None:
    sync(paged)
    graph_calls = [r for r in paged.simulator.requests if r[2].startswith("/v1.0/")]
    assert len(graph_calls) == 1 + -(-len(m365_people(paged)) // 10)


def test_select_names_every_mapped_property(graph_sandbox: SandboxHandle) -> None:
    sync(graph_sandbox)
    first = next(r[2] for r in graph_sandbox.simulator.requests if r[2].startswith("/v1.0/users"))
    for prop in (
        "id", "displayName", "userPrincipalName", "mail", "accountEnabled", "userType",
        "department", "createdDateTime", "assignedLicenses", "signInActivity",
    ):  # fmt: skip
        assert prop in first


# --------------------------------------------------------------------------- bad input


def test_wrong_client_secret_is_auth_error_naming_aadsts7000215(
    graph_sandbox: SandboxHandle,
) -> None:
    with pytest.raises(ConnectorAuthError, match="AADSTS7000215") as caught:
        connector(graph_sandbox, client_secret="wrong~secret").check()
    assert "client secret" in str(caught.value)
    assert "seatwise connector test" in str(caught.value)


def test_unknown_client_id_is_auth_error(graph_sandbox: SandboxHandle) -> None:
    with pytest.raises(ConnectorAuthError, match="AADSTS700016"):
        connector(graph_sandbox, client_id="00000000-0000-0000-0000-000000000000").check()


def test_unknown_tenant_is_auth_error_naming_the_tenant(graph_sandbox: SandboxHandle) -> None:
    with pytest.raises(ConnectorAuthError, match="did not accept the tenant") as caught:
        connector(graph_sandbox, tenant_id="no-such-tenant.example").check()
    message = str(caught.value)
    assert "/no-such-tenant.example" in message and "Check tenant_id and authority_host" in message
    assert "login.microsoftonline.com" not in message  # msal's advice for the public cloud


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"graph_url": "http://graph.example"}, "graph_url"),
        ({"authority_host": "login.example"}, "authority_host"),
        ({"tenant_id": ""}, "tenant_id"),
        ({"tenant_id": "a/b"}, "tenant_id"),
        ({"timeout_seconds": 0}, "timeout_seconds"),
        ({"unknown_key": 1}, "unknown_key"),
    ],
)
def test_invalid_config_is_refused_naming_the_field(
    graph_sandbox: SandboxHandle, overrides: dict[str, Any], named: str
) -> None:
    with pytest.raises(ConnectorConfigError, match=named):
        Microsoft365Connector({**graph_sandbox.config, **overrides})


def test_missing_client_secret_is_refused() -> None:
    with pytest.raises(ConnectorConfigError, match="client_secret"):
        Microsoft365Connector({"tenant_id": "t", "client_id": "c"})


def test_missing_ca_bundle_file_is_config_error(graph_sandbox: SandboxHandle) -> None:
    with pytest.raises(ConnectorConfigError, match="ca_bundle"):
        connector(graph_sandbox, ca_bundle="/nonexistent/ca.pem").check()


# --------------------------------------------------------------------------- P1, permissions


def test_tenant_without_p1_syncs_without_sign_in_data_and_warns(
    graph_sandbox: SandboxHandle,
) -> None:
    graph_sandbox.simulator.faults.no_premium = True
    records = sync(graph_sandbox)
    accounts = of(records, AccountRecord)
    assert len(accounts) == len(m365_people(graph_sandbox))
    assert all(a.last_active_at is None and not a.activity_known for a in accounts)
    warnings = of(records, SyncWarning)
    assert len(warnings) == 1
    assert "P1" in warnings[0].message
    assert of(records, AssignmentRecord)


def test_check_says_sign_in_activity_is_unavailable_without_p1(
    graph_sandbox: SandboxHandle,
) -> None:
    graph_sandbox.simulator.faults.no_premium = True
    assert "unavailable" in connector(graph_sandbox).check()


def test_missing_audit_log_permission_is_named(graph_sandbox: SandboxHandle) -> None:
    graph_sandbox.simulator.faults.missing_permission = "AuditLog.Read.All"
    with pytest.raises(ConnectorPermissionError, match=r"AuditLog\.Read\.All") as caught:
        sync(graph_sandbox)
    assert caught.value.missing == "AuditLog.Read.All"
    assert "Grant it" in str(caught.value)


def test_missing_user_read_permission_is_named(graph_sandbox: SandboxHandle) -> None:
    graph_sandbox.simulator.faults.missing_permission = "User.Read.All"
    with pytest.raises(ConnectorPermissionError) as caught:
        sync(graph_sandbox)
    assert caught.value.missing == "User.Read.All"
    assert "operation. Grant it as an application permission" in str(caught.value)


# --------------------------------------------------------------------------- faults


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


def test_national_cloud_uses_authority_host_for_tokens_and_graph_url_for_data(
    graph_sandbox: SandboxHandle,
) -> None:
    sim = graph_sandbox.simulator
    tls_dir = Path(graph_sandbox.ca_path).parent
    from connectors.sandbox.tls import SandboxTLS

    tls = SandboxTLS(Path(graph_sandbox.ca_path), tls_dir / "server.pem", tls_dir / "server.key")
    graph = serve_in_thread(sim.app, tls=tls)
    try:
        sim.scopes.clear()
        records = sync(graph_sandbox, graph_url=graph.url)
    finally:
        graph.stop()
    assert of(records, AccountRecord)
    login_host = graph_sandbox.url.removeprefix("https://")
    graph_host = graph.url.removeprefix("https://")
    for _method, host, path in sim.requests:
        if path.startswith("/v1.0/"):
            assert host == graph_host
        else:
            assert host == login_host
    # a Graph host that is no Microsoft cloud's own fronts global Graph: its resource is asked
    assert sim.scopes == ["https://graph.microsoft.com/.default"]


@pytest.mark.parametrize(
    ("graph_url", "scope"),
    [
        ("https://graph.microsoft.com", "https://graph.microsoft.com/.default"),
        ("https://graph.microsoft.us/", "https://graph.microsoft.us/.default"),
        ("https://dod-graph.microsoft.us", "https://dod-graph.microsoft.us/.default"),
        (
            "https://microsoftgraph.chinacloudapi.cn",
            "https://microsoftgraph.chinacloudapi.cn/.default",
        ),
        ("https://graph-proxy.corp.example:8443", "https://graph.microsoft.com/.default"),
        ("https://127.0.0.1:9443", "https://graph.microsoft.com/.default"),
    ],
)
def test_token_scope_is_the_clouds_graph_resource_else_global_graph(
    graph_url: str, scope: str
) -> None:
    from connectors.microsoft365_auth import graph_scope

    assert graph_scope(graph_url) == scope


# --------------------------------------------------------------------------- page mapping


def _offline() -> Microsoft365Connector:
    """A connector for mapping pages by hand (its constructor makes no call)."""
    return Microsoft365Connector({"tenant_id": "t", "client_id": "c", "client_secret": "s"})


def _user(**fields: Any) -> dict[str, Any]:
    return {"id": "u1", "userPrincipalName": "U1@Acme.Test", "accountEnabled": True, **fields}


def test_page_rows_follow_the_mapping_rules() -> None:
    page = {
        "value": [
            _user(
                mail="Ann.Lee@Acme.Test", userType="Guest", accountEnabled=False,
                createdDateTime="2024-01-02T03:04:05Z",
                signInActivity={
                    "lastSignInDateTime": "2026-11-01T10:00:00Z",
                    "lastNonInteractiveSignInDateTime": "2026-11-03T10:00:00.1234567Z",
                    "lastSuccessfulSignInDateTime": None,
                },
                assignedLicenses=[{"skuId": "sku-e3"}, {"skuId": "sku-gone"}, {"skuId": ""}],
            )
        ]
    }  # fmt: skip
    batch = _offline()._page_rows(page, {"sku-e3"}, True)
    (account,) = records(Chunk(batch.accounts, [], []))
    assert isinstance(account, AccountRecord)
    assert account.email == "ann.lee@acme.test" and account.status == "suspended"
    assert account.is_guest and account.activity_known
    assert account.last_active_at == datetime(2026, 11, 3, 10, 0, 0, 123456, tzinfo=UTC)
    assert batch.seats == [("u1", "sku-e3", None), ("u1", "sku-gone", None)]
    assert batch.others == [
        ProductRecord(external_id="sku-gone", name="Unlisted SKU sku-gone", status="unlisted")
    ]


def test_page_rows_read_a_time_without_a_zone_as_utc() -> None:
    page = {"value": [_user(createdDateTime="2024-01-02T03:04:05")]}
    (account,) = records(_offline()._page_rows(page, set(), False))
    assert isinstance(account, AccountRecord)
    assert account.created_at == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert account.email == "u1@acme.test" and not account.activity_known


def test_page_rows_name_the_user_and_field_of_an_unreadable_time() -> None:
    page = {"value": [_user(signInActivity={"lastSignInDateTime": "yesterday"})]}
    with pytest.raises(ConnectorDataError, match="lastSignInDateTime 'yesterday' for user u1"):
        _offline()._page_rows(page, set(), True)


def test_page_rows_refuse_a_user_without_id_and_a_page_without_users() -> None:
    with pytest.raises(ConnectorDataError, match="user without id"):
        _offline()._page_rows({"value": [{"displayName": "Nobody"}]}, set(), True)
    with pytest.raises(ConnectorDataError, match="no 'value' list"):
        _offline()._page_rows({"@odata.nextLink": "x"}, set(), True)


def _graph_page(page: dict[str, Any], *, link: str | None = None, listed: Any = ()) -> GraphPage:
    body = orjson.dumps(page)
    return GraphPage(body, "https://graph.test/v1.0/users", link, True, frozenset(listed))


def test_a_raw_page_maps_like_the_parsed_one_and_announces_an_unlisted_sku_once() -> None:
    users = [_user(assignedLicenses=[{"skuId": "e3"}, {"skuId": "gone"}])]
    mapper = _offline()
    first = mapper.chunk(_graph_page({"value": users, NEXT_LINK: "n1"}, link="n1", listed={"e3"}))
    assert first == _offline()._page_rows({"value": users}, {"e3"}, True)
    second = mapper.chunk(
        _graph_page(
            {"value": [_user(id="u2", assignedLicenses=[{"skuId": "gone"}])]}, listed={"e3"}
        )
    )
    assert second.seats == [("u2", "gone", None)] and second.others == []


def test_a_raw_page_whose_next_link_is_not_the_one_followed_is_refused() -> None:
    page = _graph_page({"value": [], NEXT_LINK: "https://graph.test/next"}, link="elsewhere")
    with pytest.raises(ConnectorDataError, match="gives its next page in a form"):
        _offline().chunk(page)
    with pytest.raises(ConnectorDataError, match="gives its next page in a form"):
        _offline().chunk(_graph_page({"value": []}, link="https://graph.test/next"))


def test_a_raw_page_that_is_not_json_names_the_url() -> None:
    page = GraphPage(b'{"value": [', "https://graph.test/v1.0/users", None, True, frozenset())
    with pytest.raises(
        ConnectorDataError, match=r"not valid JSON from https://graph.test/v1.0/users"
    ):
        _offline().chunk(page)
    with pytest.raises(ConnectorDataError, match="expected a JSON object page"):
        _offline().chunk(GraphPage(b"[]", "https://graph.test/v1.0/users", None, True, frozenset()))
