"""User corrections to the app catalogue: replacing, adding, storing, refusing."""

from __future__ import annotations

import pytest

from analytics.catalog import CatalogApp, CatalogDataError, load_catalog


def test_a_correction_replaces_the_packaged_entry_with_the_same_key() -> None:
    fixed = CatalogApp(
        key="slack",
        name="Slack",
        vendor="Salesforce",
        category="team_communication",
        capabilities=frozenset({"team_chat", "video_meetings"}),
        aliases=("Our Chat",),
    )
    catalog = load_catalog([fixed])
    assert catalog.capabilities_of_app("slack") == {"team_chat", "video_meetings"}
    found = catalog.find_app("our chat")
    assert found is not None and found.key == "slack"
    assert load_catalog().capabilities_of_app("slack") == {"team_chat"}


def test_an_added_app_is_found_and_its_alias_wins_over_the_packaged_one() -> None:
    added = CatalogApp(
        key="acme-chat",
        name="Acme Chat",
        vendor="Acme",
        category="team_communication",
        capabilities=frozenset({"team_chat"}),
        aliases=("Slack",),
    )
    catalog = load_catalog([added])
    assert catalog.app("acme-chat") == added
    found = catalog.find_app("Slack")
    assert found is not None and found.key == "acme-chat"


def test_a_correction_round_trips_through_a_stored_record() -> None:
    app = CatalogApp.from_record(
        {
            "key": "acme",
            "name": "Acme",
            "vendor": "Acme Inc",
            "category": "crm",
            "is_suite": "false",
            "capabilities": "crm|sales_engagement",
            "aliases": ["Acme CRM"],
        }
    )
    assert app.capabilities == {"crm", "sales_engagement"}
    assert CatalogApp.from_record(app.to_record()) == app
    with pytest.raises(CatalogDataError, match="vendor is missing"):
        CatalogApp.from_record({"key": "x", "name": "X", "category": "crm"})


def test_a_correction_with_an_unknown_capability_is_refused() -> None:
    bad = CatalogApp("acme", "Acme", "Acme", "crm", capabilities=frozenset({"telepathy"}))
    with pytest.raises(
        CatalogDataError, match=r"override, line 1: .*unknown capability 'telepathy'"
    ):
        load_catalog([bad])


def test_a_correction_with_an_unknown_category_is_refused() -> None:
    bad = CatalogApp("acme", "Acme", "Acme", "no_such_category")
    with pytest.raises(CatalogDataError, match="unknown category 'no_such_category'"):
        load_catalog([bad])
