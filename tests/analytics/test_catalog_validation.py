"""Broken catalogue data files are refused, naming the file, line and fault."""

from __future__ import annotations

import pytest

from analytics.catalog import CatalogDataError, build_catalog, packaged_files


def edited(file: str, old: str, new: str) -> dict[str, str]:
    """Return the packaged files with one exact substring of one file replaced."""
    files = packaged_files()
    assert old in files[file], f"test setup: {old!r} not in {file}"
    files[file] = files[file].replace(old, new, 1)
    return files


def appended(file: str, row: str) -> dict[str, str]:
    files = packaged_files()
    files[file] = files[file].rstrip("\n") + "\n" + row + "\n"
    return files


def line_count(file: str) -> int:
    return len(packaged_files()[file].rstrip("\n").split("\n"))


def test_an_application_with_an_unknown_capability_names_file_and_line() -> None:
    row = "\nslack,Slack,Salesforce,team_communication,false,team_chat"
    files = edited("applications.csv", row + ",", row + "|telepathy,")
    with pytest.raises(CatalogDataError) as caught:
        build_catalog(files)
    assert caught.value.source == "applications.csv"
    assert caught.value.line is not None and caught.value.line > 1
    assert "unknown capability 'telepathy'" in str(caught.value)
    assert str(caught.value).startswith(f"applications.csv, line {caught.value.line}:")


def test_an_application_with_an_unknown_category_is_refused() -> None:
    files = edited("applications.csv", ",Salesforce,team_communication,", ",Salesforce,gossip,")
    with pytest.raises(CatalogDataError, match=r"applications\.csv, line \d+: .*unknown category"):
        build_catalog(files)


def test_a_duplicate_application_key_is_refused() -> None:
    files = appended("applications.csv", "slack,Slack Again,Salesforce,team_communication,false,,,")
    expected = rf"applications\.csv, line {line_count('applications.csv') + 1}: duplicate"
    with pytest.raises(CatalogDataError, match=expected):
        build_catalog(files)


def test_an_alias_naming_two_apps_is_refused() -> None:
    files = appended("applications.csv", "acme,Acme,Acme,crm,false,crm,Office 365,")
    with pytest.raises(CatalogDataError, match="'Office 365' already names 'microsoft-365'"):
        build_catalog(files)


def test_a_duplicate_capability_or_category_key_is_refused() -> None:
    files = appended("capabilities.csv", "team_chat,Team chat again,")
    with pytest.raises(CatalogDataError, match=r"capabilities\.csv, line \d+: duplicate"):
        build_catalog(files)
    files = appended("categories.csv", "crm,CRM again")
    with pytest.raises(CatalogDataError, match=r"categories\.csv, line \d+: duplicate"):
        build_catalog(files)


def test_a_sku_for_an_unknown_application_is_refused() -> None:
    files = edited("google_skus.csv", ",Google Workspace Business Starter,google-workspace,",
                   ",Google Workspace Business Starter,google-office,")  # fmt: skip
    with pytest.raises(CatalogDataError, match=r"google_skus\.csv, line 2: .*unknown application"):
        build_catalog(files)


def test_a_sku_with_an_unknown_capability_is_refused() -> None:
    files = edited(
        "microsoft_skus.csv",
        ",Office 365 E3,microsoft-365,email|",
        ",Office 365 E3,microsoft-365,mail|",
    )
    with pytest.raises(CatalogDataError, match=r"SKU ENTERPRISEPACK: unknown capability 'mail'"):
        build_catalog(files)


def test_a_negative_price_is_refused() -> None:
    files = edited("microsoft_skus.csv", ",26,USD,", ",-26,USD,")
    with pytest.raises(
        CatalogDataError, match=r"microsoft_skus\.csv, line \d+: list_price -26 is negative"
    ):
        build_catalog(files)


def test_a_price_that_is_not_a_number_is_refused() -> None:
    files = edited("microsoft_skus.csv", ",26,USD,", ",twenty,USD,")
    with pytest.raises(CatalogDataError, match="list_price 'twenty' is not a number"):
        build_catalog(files)


def test_a_free_sku_with_a_price_is_refused_and_a_zero_price_must_be_free() -> None:
    row = ",FLOW_FREE,Microsoft Power Automate Free,power-automate,workflow_automation"
    files = edited("microsoft_skus.csv", row + ",0,", row + ",5,")
    with pytest.raises(CatalogDataError, match="is_free but list_price is not 0"):
        build_catalog(files)
    files = edited("microsoft_skus.csv", ",0,USD,monthly,true", ",0,USD,monthly,false")
    with pytest.raises(CatalogDataError, match="list_price 0 but is_free is false"):
        build_catalog(files)


def test_a_duplicate_microsoft_sku_id_or_part_number_is_refused() -> None:
    files = appended(
        "microsoft_skus.csv",
        "6fd2c87f-b296-42f0-b197-1e91e994b900,OTHER,Other,microsoft-365,,,USD,monthly,false",
    )
    with pytest.raises(CatalogDataError, match="duplicate sku_id"):
        build_catalog(files)
    files = appended(
        "microsoft_skus.csv",
        "00000000-0000-0000-0000-000000000000,enterprisepack,Other,microsoft-365,,,USD,monthly,false",
    )
    with pytest.raises(CatalogDataError, match="duplicate part_number 'enterprisepack'"):
        build_catalog(files)


def test_a_microsoft_sku_id_that_is_not_a_guid_is_refused() -> None:
    files = edited("microsoft_skus.csv", "6fd2c87f-b296-42f0-b197-1e91e994b900", "office-e3")
    with pytest.raises(CatalogDataError, match="sku_id 'office-e3' is not a GUID"):
        build_catalog(files)


def test_a_duplicate_google_sku_is_refused() -> None:
    files = appended(
        "google_skus.csv", "Google-Apps,1010020027,Again,google-workspace,,,USD,monthly,false"
    )
    with pytest.raises(CatalogDataError, match="duplicate SKU Google-Apps/1010020027"):
        build_catalog(files)


def test_a_bad_currency_or_billing_cycle_is_refused() -> None:
    files = edited("microsoft_skus.csv", ",26,USD,monthly,", ",26,dollars,monthly,")
    with pytest.raises(CatalogDataError, match="currency 'dollars' is not an ISO 4217 code"):
        build_catalog(files)
    files = edited("microsoft_skus.csv", ",26,USD,monthly,", ",26,USD,weekly,")
    with pytest.raises(CatalogDataError, match="billing_cycle 'weekly' must be one of"):
        build_catalog(files)


def test_a_missing_or_unknown_header_column_is_refused() -> None:
    files = edited("applications.csv", "aliases,website", "aliases,homepage")
    with pytest.raises(
        CatalogDataError, match=r"applications\.csv, line 1: header lacks column\(s\) website"
    ):
        build_catalog(files)
    files = edited("categories.csv", "key,name", "key,name,colour")
    with pytest.raises(CatalogDataError, match="unknown column"):
        build_catalog(files)


def test_a_row_with_the_wrong_number_of_fields_is_refused() -> None:
    files = appended("categories.csv", "extra,Extra,oops")
    with pytest.raises(CatalogDataError, match=r"categories\.csv, line \d+: row has 3 fields"):
        build_catalog(files)


def test_a_key_that_is_not_snake_case_or_a_slug_is_refused() -> None:
    files = appended("capabilities.csv", "Team Chat,Team chat,")
    with pytest.raises(CatalogDataError, match="not snake_case"):
        build_catalog(files)
    files = appended("applications.csv", "Acme App,Acme,Acme,crm,false,crm,,")
    with pytest.raises(CatalogDataError, match="not a lower-case slug"):
        build_catalog(files)


def test_an_empty_required_field_is_refused() -> None:
    files = appended("applications.csv", "acme,Acme,,crm,false,crm,,")
    with pytest.raises(CatalogDataError, match="vendor is empty"):
        build_catalog(files)
