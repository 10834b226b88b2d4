"""Connector forms come from the config model; contract files are refused or imported."""

from __future__ import annotations

from sqlmodel import Session, select

from app.sync.models import ConnectorConfig
from tests.ui.conftest import Web, csrf_of


def test_connector_form_is_generated_from_the_config_model_and_secrets_are_write_only(
    web: Web,
) -> None:
    client = web.client("asset_manager")
    form = client.get("/connectors/new?kind=slack").text
    assert 'name="token" type="password"' in form and 'name="api_url"' in form
    response = client.post(
        "/connectors/new?kind=slack",
        data={
            "csrf": csrf_of(form),
            "name": "slack",
            "token": "xoxp-secret-value",
            "api_url": "https://127.0.0.1:1/api/",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "xoxp-secret-value" not in response.text
    with Session(web.db.engine) as s:
        row = s.exec(select(ConnectorConfig)).one()
        assert "xoxp-secret-value" not in str(row.config) and row.secrets


def test_connector_form_names_the_missing_field(web: Web) -> None:
    client = web.client("asset_manager")
    form = client.get("/connectors/new?kind=slack").text
    response = client.post(
        "/connectors/new?kind=slack", data={"csrf": csrf_of(form), "name": "slack"}
    )
    assert response.status_code == 422 and "token" in response.text


def test_refused_contract_file_lists_row_errors_on_the_page(web: Web) -> None:
    client = web.client("procurement")
    page = client.get("/contracts")
    bad = b"vendor,application,contract_number,start_date,currency\nAcme,Acme,C-1,not-a-date,EUR\n"
    response = client.post(
        "/contracts/upload",
        data={"csrf": csrf_of(page.text)},
        files={"file": ("bad.csv", bad, "text/csv")},
    )
    assert response.status_code == 422
    assert "bad.csv was refused" in response.text and 'id="row-errors"' in response.text


def test_imported_contract_file_is_named_and_its_warnings_shown_on_the_page(web: Web) -> None:
    client = web.client("procurement")
    page = client.get("/contracts")
    data = (
        b"vendor,application,contract_number,product,start_date,unit_price,currency\n"
        b"Acme,Acme,C-1,ACME-PRO,2026-01-01,10,EUR\n"
    )
    response = client.post(
        "/contracts/upload",
        data={"csrf": csrf_of(page.text)},
        files={"file": ("Contracts Q1 & Q2 #2.csv", data, "text/csv")},
    )
    assert response.status_code == 200 and response.url.path == "/contracts"
    assert "Imported Contracts Q1 &amp; Q2 #2.csv (created: 1, updated: 0, unchanged: 0)" in (
        response.text
    )
    assert (
        "row 2: product &#39;ACME-PRO&#39; matches no inventory product yet; the contract "
        "keeps the text and links to it after a sync finds it"
    ) in response.text
