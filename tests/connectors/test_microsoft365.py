"""Microsoft 365 connector against the HTTPS Graph sandbox on 127.0.0.1: the mapping rules,
pagination, configuration, credentials, permissions and national clouds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connectors.base import (
    AccountRecord,
    AssignmentRecord,
    ConnectorAuthError,
    ConnectorConfigError,
    ConnectorPermissionError,
    ProductRecord,
    SyncWarning,
)
from connectors.microsoft365 import Microsoft365Connector
from connectors.sandbox.serving import serve_in_thread
from tests.connectors.conftest import SandboxHandle
from tests.connectors.m365_client import connector, m365_people, of, sync


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
