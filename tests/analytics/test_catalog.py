"""The app catalogue: counts, referential integrity, lookups, overlaps, prices."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest

from analytics.catalog import load_catalog, microsoft_sku_names, packaged_files

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


# --- size and integrity of the packaged data -------------------------------------------


def test_catalog_has_at_least_300_apps_40_categories_60_capabilities_40_microsoft_skus() -> None:
    catalog = load_catalog()
    assert len(catalog.apps) >= 300
    assert len(catalog.categories) >= 40
    assert len(catalog.capabilities) >= 60
    assert sum(s.source == "microsoft365" for s in catalog.skus) >= 40
    assert sum(s.source == "google_workspace" for s in catalog.skus) >= 10


def test_every_reference_in_the_data_files_resolves() -> None:
    catalog = load_catalog()
    for app in catalog.apps.values():
        assert app.category in catalog.categories, app.key
        assert app.capabilities <= catalog.capabilities.keys(), app.key
    for sku in catalog.skus:
        assert sku.application in catalog.apps, sku.external_id
        assert sku.capabilities <= catalog.capabilities.keys(), sku.external_id


def test_every_sku_capability_is_listed_on_its_application() -> None:
    catalog = load_catalog()
    for sku in catalog.skus:
        assert sku.capabilities <= catalog.apps[sku.application].capabilities, sku.name


def test_data_files_keep_the_documented_columns() -> None:
    expected = {
        "capabilities.csv": ["key", "name", "description"],
        "categories.csv": ["key", "name"],
        "applications.csv": [
            "key", "name", "vendor", "category", "is_suite", "capabilities", "aliases", "website"
        ],
        "microsoft_skus.csv": [
            "sku_id", "part_number", "friendly_name", "application", "capabilities",
            "list_price", "currency", "billing_cycle", "is_free",
        ],
        "google_skus.csv": [
            "product_id", "sku_id", "sku_name", "application", "capabilities",
            "list_price", "currency", "billing_cycle", "is_free",
        ],
    }  # fmt: skip
    files = packaged_files()
    for name, header in expected.items():
        assert next(csv.reader(io.StringIO(files[name]))) == header, name


def test_microsoft_sku_ids_are_lower_case_guids_and_well_known_ones_are_right() -> None:
    catalog = load_catalog()
    for sku in catalog.skus:
        if sku.source == "microsoft365":
            assert GUID.match(sku.external_id), sku.part_number
    known = {
        "ENTERPRISEPACK": "6fd2c87f-b296-42f0-b197-1e91e994b900",
        "SPE_E3": "05e9a617-0261-4cee-bb44-138d3ef5d965",
        "SPE_E5": "06ebc4ee-1bb5-47dd-8120-11324bc54e06",
        "ENTERPRISEPREMIUM": "c7df2760-2c81-4ef7-b578-5b5392b571df",
        "STANDARDPACK": "18181a46-0d4e-45cd-891e-60aabd171b4e",
        "SPB": "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46",
        "O365_BUSINESS_ESSENTIALS": "3b555118-da6a-4418-894f-7df1e2096870",
        "O365_BUSINESS_PREMIUM": "f245ecc8-75af-4f8e-b61f-27d8114de5f3",
        "POWER_BI_STANDARD": "a403ebcc-fae0-4ca2-8c8c-7a907fd6c235",
        "FLOW_FREE": "f30db892-07e9-47e9-837c-80727f46fd3d",
    }
    for part, guid in known.items():
        found = catalog.sku_by_part_number(part)
        assert found is not None and found.external_id == guid, part


# --- lookups ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Slack", "slack"),
        ("SLACK", "slack"),
        ("Slack Technologies, LLC", "slack"),
        ("Office 365", "microsoft-365"),
        ("office365", "microsoft-365"),
        ("Microsoft 365", "microsoft-365"),
        ("microsoft-365", "microsoft-365"),
        ("G Suite", "google-workspace"),
        ("Google Workspace", "google-workspace"),
        ("Zoom Video Communications, Inc.", "zoom"),
        ("monday.com", "monday"),
        ("DocuSign", "docusign"),
        ("https://www.notion.com/pricing", "notion"),
        ("Azure AD", "microsoft-entra-id"),
    ],
)
def test_find_app_matches_names_and_aliases_ignoring_case_and_punctuation(
    name: str, key: str
) -> None:
    found = load_catalog().find_app(name)
    assert found is not None and found.key == key


def test_find_app_returns_none_for_an_unknown_name() -> None:
    assert load_catalog().find_app("Definitely Not A Real SaaS Product") is None
    assert load_catalog().app("no-such-app") is None


def test_sku_lookup_by_external_id_for_microsoft_and_google() -> None:
    catalog = load_catalog()
    e3 = catalog.sku_by_external_id("microsoft365", "6FD2C87F-B296-42F0-B197-1E91E994B900")
    assert e3 is not None and e3.part_number == "ENTERPRISEPACK" and e3.name == "Office 365 E3"
    starter = catalog.sku_by_external_id("google_workspace", "Google-Apps/1010020027")
    assert starter is not None and starter.application == "google-workspace"
    assert starter.name == "Google Workspace Business Starter"
    assert catalog.sku_by_external_id("slack", "T123") is None
    assert catalog.sku_by_external_id("google_workspace", "Google-Apps/999") is None


def test_sku_lookup_by_part_number_is_case_and_space_insensitive() -> None:
    catalog = load_catalog()
    assert catalog.sku_by_part_number("enterprisepack") == catalog.sku_by_part_number(
        "ENTERPRISEPACK"
    )
    eea = catalog.sku_by_part_number("O365_w/o\u00a0Teams\u00a0Bundle_M3")
    assert eea is not None and "team_chat" not in eea.capabilities


def test_microsoft_sku_names_maps_part_numbers_to_friendly_names() -> None:
    names = microsoft_sku_names()
    assert names["ENTERPRISEPACK"] == "Office 365 E3"
    assert names["SPE_E3"] == "Microsoft 365 E3"
    assert names["SPB"] == "Microsoft 365 Business Premium"
    assert len(names) >= 40


# --- capabilities and overlap inputs ---------------------------------------------------


def test_office_365_e3_provides_team_chat_but_its_no_teams_variant_does_not() -> None:
    catalog = load_catalog()
    e3 = catalog.sku_by_part_number("ENTERPRISEPACK")
    no_teams = catalog.sku_by_part_number("Office_365_E3_(no_Teams)")
    exchange = catalog.sku_by_part_number("EXCHANGESTANDARD")
    assert e3 is not None and {"team_chat", "video_meetings"} <= e3.capabilities
    assert no_teams is not None and "team_chat" not in no_teams.capabilities
    assert exchange is not None and "team_chat" not in exchange.capabilities


def test_slack_provides_team_chat_and_overlaps_a_suite_providing_it() -> None:
    catalog = load_catalog()
    assert "team_chat" in catalog.capabilities_of_app("slack")
    e3 = catalog.sku_by_part_number("ENTERPRISEPACK")
    assert e3 is not None
    overlaps = catalog.apps_sharing_capabilities(
        ["slack", "microsoft-365"], {"microsoft-365": e3.capabilities}
    )
    assert [(o.first.key, o.second.key, o.kind) for o in overlaps] == [
        ("microsoft-365", "slack", "overlap")
    ]
    assert overlaps[0].shared == {"team_chat"}


def test_google_workspace_and_microsoft_365_overlap_as_suites() -> None:
    catalog = load_catalog()
    overlaps = catalog.apps_sharing_capabilities(["microsoft-365", "google-workspace"])
    assert len(overlaps) == 1
    assert overlaps[0].kind == "suite_overlap"
    assert {"email", "calendar", "file_storage", "word_processing"} <= overlaps[0].shared


def test_two_standalone_apps_sharing_a_capability_overlap_per_pair() -> None:
    catalog = load_catalog()
    overlaps = catalog.apps_sharing_capabilities(["zoom", "webex", "gotomeeting", "unknown"])
    assert [(o.first.key, o.second.key) for o in overlaps] == [
        ("gotomeeting", "webex"),
        ("gotomeeting", "zoom"),
        ("webex", "zoom"),
    ]
    assert all(o.kind == "overlap" for o in overlaps)


def test_apps_with_capability_lists_every_provider() -> None:
    keys = {a.key for a in load_catalog().apps_with_capability("e_signature")}
    assert {"docusign", "dropbox-sign", "adobe-acrobat-sign"} <= keys


# --- prices ----------------------------------------------------------------------------


def test_free_skus_have_price_zero_and_are_never_paid() -> None:
    catalog = load_catalog()
    free = [s for s in catalog.skus if s.is_free]
    assert {"POWER_BI_STANDARD", "FLOW_FREE", "TEAMS_EXPLORATORY"} <= {s.part_number for s in free}
    for sku in free:
        assert sku.list_price == 0 and not sku.is_paid, sku.name
    e3 = catalog.sku_by_part_number("ENTERPRISEPACK")
    assert e3 is not None and e3.is_paid and e3.list_price == Decimal("26")
    assert e3.currency == "USD" and e3.billing_cycle == "monthly"


def test_prices_are_never_negative_and_an_unknown_price_is_none() -> None:
    skus = load_catalog().skus
    assert all(s.list_price is None or s.list_price >= 0 for s in skus)
    enterprise_plus = load_catalog().sku_by_external_id(
        "google_workspace", "Google-Apps/1010020020"
    )
    assert enterprise_plus is not None and enterprise_plus.list_price is None
    assert not enterprise_plus.is_paid
