"""Graph users pages mapped to rows without a server: the documented mapping rules on the
parsed and the raw path, and the pages each path refuses."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from connectors.base import (
    AccountRecord,
    ConnectorDataError,
    ProductRecord,
)
from connectors.microsoft365 import NEXT_LINK, GraphPage, Microsoft365Connector
from connectors.rows import Chunk, records


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
