"""The Google and Slack sandboxes serve one company whose people overlap like real ones."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from connectors.base import AccountRecord, AssignmentRecord, Record
from connectors.google_api import RetryPolicy
from connectors.google_workspace import GoogleWorkspaceConfig, GoogleWorkspaceConnector
from connectors.sandbox.company import generate_company
from connectors.sandbox.company_model import Company
from connectors.sandbox.google import GoogleSimulator
from connectors.sandbox.serving import serve_in_thread
from connectors.sandbox.slack import SlackSimulator
from connectors.sandbox.tls import make_tls
from connectors.slack import SlackConfig, SlackConnector


@pytest.fixture(scope="module")
def synced() -> Iterator[tuple[Company, list[Record], list[Record]]]:
    company = generate_company(seed=42, size=200, today=date(2026, 11, 25))
    tls = make_tls(Path(tempfile.mkdtemp(prefix="cross-source-")))
    google, slack = GoogleSimulator(company), SlackSimulator(company)
    servers = [serve_in_thread(google.app, tls=tls), serve_in_thread(slack.app, tls=tls)]
    try:
        g_config = GoogleWorkspaceConfig.model_validate(
            google.connector_config(servers[0].url, str(tls.ca_path))
        )
        s_config = SlackConfig.model_validate(
            slack.connector_config(servers[1].url, str(tls.ca_path))
        )
        g_records = list(GoogleWorkspaceConnector(g_config, retry=RetryPolicy()).fetch())
        s_records = list(SlackConnector(s_config).fetch())
        yield company, g_records, s_records
    finally:
        for server in servers:
            server.server.force_exit = True
            server.stop()


def _by_email(records: list[Record]) -> dict[str, AccountRecord]:
    return {r.email: r for r in records if isinstance(r, AccountRecord) and r.email}


def test_leaver_suspended_in_google_still_holds_a_billable_slack_seat(
    synced: tuple[Company, list[Record], list[Record]],
) -> None:
    _, g_records, s_records = synced
    google, slack = _by_email(g_records), _by_email(s_records)
    seated = {r.account_external_id for r in s_records if isinstance(r, AssignmentRecord)}
    leavers = [
        email
        for email, account in google.items()
        if account.status == "suspended"
        and email in slack
        and slack[email].status == "active"
        and slack[email].external_id in seated
    ]
    assert leavers


def test_some_people_are_in_only_one_of_the_two_sources(
    synced: tuple[Company, list[Record], list[Record]],
) -> None:
    _, g_records, s_records = synced
    google, slack = set(_by_email(g_records)), set(_by_email(s_records))
    assert google & slack and google - slack and slack - google


def test_same_person_is_cased_differently_across_sources_yet_joins_lower_cased(
    synced: tuple[Company, list[Record], list[Record]],
) -> None:
    company, g_records, s_records = synced
    differently_cased = [
        p
        for p in company.persons
        if p.google and p.slack and p.slack.email and p.google.primary_email != p.slack.email
    ]
    assert differently_cased
    google, slack = _by_email(g_records), _by_email(s_records)
    for p in differently_cased:
        assert p.google is not None and p.slack is not None and p.slack.email is not None
        assert p.google.primary_email.lower() in google
        assert p.slack.email.lower() in slack
