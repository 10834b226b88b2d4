"""Google Workspace connector against the HTTPS Google sandbox on 127.0.0.1: the records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connectors.base import AccountRecord, AliasRecord, AssignmentRecord, ProductRecord, Record
from tests.connectors import google_workspace_sandbox
from tests.connectors.google_workspace_sandbox import Sandbox, connector, google_people, sync

# Shared fixtures, bound in this module for pytest to find.
_clean_faults = google_workspace_sandbox._clean_faults
google_sandbox = google_workspace_sandbox.google_sandbox


# ----------------------------------------------------------------------------- records


def accounts_by_email(records: list[Record]) -> dict[str, AccountRecord]:
    return {r.email: r for r in records if isinstance(r, AccountRecord) and r.email}


def test_products_stream_first_then_each_account_followed_by_its_licences(
    google_sandbox: Sandbox,
) -> None:
    records = sync(google_sandbox)
    kinds = [type(r).__name__ for r in records]
    first_other = next(i for i, k in enumerate(kinds) if k != "ProductRecord")
    assert all(k != "ProductRecord" for k in kinds[first_other:])
    owner: str | None = None
    for record in records:
        if isinstance(record, AccountRecord):
            owner = record.external_id
        elif isinstance(record, AssignmentRecord):
            assert record.account_external_id == owner
    assert sum(isinstance(r, AccountRecord) for r in records) == len(google_people(google_sandbox))


def test_one_product_per_sku_with_consumed_seats_counted_and_purchased_unknown(
    google_sandbox: Sandbox,
) -> None:
    products = {r.external_id: r for r in sync(google_sandbox) if isinstance(r, ProductRecord)}
    expected: dict[str, int] = {}
    for p in google_people(google_sandbox):
        if p.google.sku_id:
            expected[f"Google-Apps/{p.google.sku_id}"] = (
                expected.get(f"Google-Apps/{p.google.sku_id}", 0) + 1
            )
    assert {k: v.seats_consumed for k, v in products.items()} == expected
    assert all(p.seats_purchased is None for p in products.values())
    assert products["Google-Apps/1010020027"].name == "Google Workspace Business Starter"


def test_email_is_lower_cased_and_licence_matched_whatever_the_casing(
    google_sandbox: Sandbox,
) -> None:
    records = sync(google_sandbox)
    cased = next(
        p
        for p in google_people(google_sandbox)
        if p.google.primary_email != p.google.primary_email.lower() and p.google.sku_id
    )
    account = accounts_by_email(records)[cased.google.primary_email.lower()]
    held = [
        r.product_external_id
        for r in records
        if isinstance(r, AssignmentRecord) and r.account_external_id == account.external_id
    ]
    assert held == [f"Google-Apps/{cased.google.sku_id}"]


def test_each_alias_follows_its_account_lower_cased(google_sandbox: Sandbox) -> None:
    records = sync(google_sandbox)
    aliases = [(i, r) for i, r in enumerate(records) if isinstance(r, AliasRecord)]
    assert aliases, "the sandbox gives every eighth user an alias"
    for i, alias in aliases:
        owner = next(r for r in reversed(records[:i]) if isinstance(r, AccountRecord))
        assert alias.account_external_id == owner.external_id
        assert alias.email == alias.email.lower() != owner.email
        assert alias.email.startswith((owner.email or "").partition("@")[0] + ".alias@")


def test_suspended_or_archived_user_is_suspended_and_others_active(
    google_sandbox: Sandbox,
) -> None:
    people = google_people(google_sandbox)
    archived = next(p for p in people if p.google.suspended)
    archived.google.suspended, archived.google.archived = False, True
    try:
        by_email = accounts_by_email(sync(google_sandbox))
    finally:
        archived.google.suspended, archived.google.archived = True, False
    assert by_email[archived.google.primary_email.lower()].status == "suspended"
    assert any(p.google.suspended for p in people)
    for p in people:
        gone = p.google.suspended or p.google.archived or p is archived
        expected = "suspended" if gone else "active"
        assert by_email[p.google.primary_email.lower()].status == expected


def test_never_logged_in_user_has_no_last_activity(google_sandbox: Sandbox) -> None:
    by_email = accounts_by_email(sync(google_sandbox))
    people = google_people(google_sandbox)
    never = [p for p in people if p.google.last_login is None]
    seen = [p for p in people if p.google.last_login is not None]
    assert never and seen
    for p in never:
        account = by_email[p.google.primary_email.lower()]
        assert account.last_active_at is None and account.activity_known
    for p in seen:
        assert by_email[p.google.primary_email.lower()].last_active_at == p.google.last_login


def test_pages_directory_at_500_and_licences_at_1000_to_the_last_page(
    google_sandbox: Sandbox,
) -> None:
    whole = sync(google_sandbox)
    google_sandbox.simulator.faults.page_size = 7
    google_sandbox.simulator.requests.clear()
    paged = sync(google_sandbox)
    assert sorted(map(repr, paged)) == sorted(map(repr, whole))
    seen = list(google_sandbox.simulator.requests)
    users = [q for path, q in seen if path.endswith("/users") and "directory" in path]
    licences = [q for path, q in seen if path.startswith("/apps/licensing")]
    assert {q["maxResults"] for q in users} == {"500"}
    assert {q["maxResults"] for q in licences} == {"1000"}
    assert len(users) == -(-len(google_people(google_sandbox)) // 7)
    assert sum("pageToken" in q for q in licences) == len(licences) - 1


def test_licence_manager_is_asked_for_the_domain_not_my_customer(
    google_sandbox: Sandbox,
) -> None:
    sync(google_sandbox)
    asked = {q["customerId"] for p, q in google_sandbox.simulator.requests if "licensing" in p}
    assert asked == {google_sandbox.simulator.company.domain}


def test_without_domain_the_directory_customer_id_is_used_for_licences(
    google_sandbox: Sandbox,
) -> None:
    records = sync(google_sandbox, domain=None)
    assert any(isinstance(r, AssignmentRecord) for r in records)
    asked = {q["customerId"] for p, q in google_sandbox.simulator.requests if "licensing" in p}
    assert asked == {google_sandbox.simulator.customer_id}


def test_check_names_the_admin_and_customer(google_sandbox: Sandbox) -> None:
    summary = connector(google_sandbox).check()
    assert google_sandbox.config["subject"] in summary
    assert google_sandbox.simulator.company.domain in summary


def test_ca_bundle_given_as_pem_text_is_trusted(google_sandbox: Sandbox) -> None:
    pem = Path(google_sandbox.ca_path).read_text()
    assert "Signed in" in connector(google_sandbox, ca_bundle=pem).check()


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"])
def test_a_ca_named_by_the_environment_is_trusted_without_ca_bundle(
    google_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    """As Python's ssl (Slack) and httpx (Microsoft) do; httplib2 alone would not."""
    ca_file = google_sandbox.config["ca_bundle"]
    assert Path(ca_file).is_file()
    for name in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, ca_file)
    assert "Signed in" in connector(google_sandbox, ca_bundle=None).check()
    assert any(isinstance(r, AccountRecord) for r in sync(google_sandbox, ca_bundle=None))


# ------------------------------------------------------- mapping of awkward but legal users


def _user(**fields: Any) -> dict[str, Any]:
    return {"id": "1", "primaryEmail": "Dan@Example.com", **fields}


@pytest.mark.parametrize(
    "never", ["1970-01-01T00:00:00.000Z", "1970-01-01T00:00:00Z", "1970-01-01T00:00:00.000000Z"]
)
def test_the_epoch_means_never_however_it_is_spelled(never: str) -> None:
    from connectors.google_directory import user_account

    account = user_account(_user(lastLoginTime=never))
    assert account.last_active_at is None and account.activity_known


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ({"fullName": "Dan Brown", "givenName": "D"}, "Dan Brown"),
        ({"givenName": "Dan"}, "Dan"),
        ({"givenName": "Dan", "familyName": "Brown"}, "Dan Brown"),
        ({"familyName": "Brown"}, "Brown"),
        ({}, None),
        (None, None),
    ],
)
def test_the_display_name_is_made_of_the_name_parts_without_a_full_name(
    name: Any, shown: str | None
) -> None:
    from connectors.google_directory import user_account

    assert user_account(_user(name=name)).display_name == shown
