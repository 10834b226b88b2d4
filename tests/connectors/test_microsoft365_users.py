"""The fast path for Graph users pages maps exactly as the general path, or declines."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from connectors.base import ConnectorDataError
from connectors.microsoft365 import NEXT_LINK, GraphPage, Microsoft365Connector
from connectors.microsoft365_users import page_rows

LINK = "https://graph.test/v1.0/users?$skiptoken=abc"


def _general(page: dict[str, Any], known: set[str], sign_in: bool) -> Any:
    connector = Microsoft365Connector({"tenant_id": "t", "client_id": "c", "client_secret": "s"})
    return connector._page_rows(page, known, sign_in)


USERS: list[dict[str, Any]] = [
    {
        "id": "u1", "displayName": "Ann Lee", "userPrincipalName": "ann@Acme.test",
        "mail": "Ann.Lee@Acme.Test", "accountEnabled": True, "userType": "Member",
        "department": "Sales", "createdDateTime": "2024-01-02T03:04:05Z",
        "assignedLicenses": [{"skuId": "e3", "disabledPlans": ["x"]}, {"skuId": "gone"}],
        "signInActivity": {
            "lastSignInDateTime": "2026-11-01T10:00:00Z",
            "lastSignInRequestId": "r1",
            "lastNonInteractiveSignInDateTime": "2026-11-03T10:00:00.1234567Z",
            "lastSuccessfulSignInDateTime": None,
        },
    },
    # No mail: the user principal name; guest; disabled; times with offsets and no zone.
    {
        "id": "u2", "userPrincipalName": "Guest_X#EXT#@Acme.test", "mail": "",
        "accountEnabled": False, "userType": "Guest", "department": None,
        "createdDateTime": "2023-05-06T07:08:09+02:00",
        "signInActivity": {
            "lastSignInDateTime": "2026-10-01T23:30:00-01:00",
            "lastSuccessfulSignInDateTime": "2026-10-02T00:00:00",
        },
        "assignedLicenses": [{"skuId": ""}, {"skuId": None}, {"skuId": "gone"}],
    },
    # Almost nothing: no e-mail at all, no times, no licences, empty sign-in activity.
    {"id": "u3", "assignedLicenses": None, "signInActivity": {}},
    {"id": "u4", "accountEnabled": None, "signInActivity": None, "extra": {"a": [1, 2]}},
    {"id": "u5", "assignedLicenses": [{"skuId": "new"}], "createdDateTime": None},
]  # fmt: skip


@pytest.mark.parametrize("sign_in", [True, False])
def test_documented_pages_map_exactly_as_the_general_path(sign_in: bool) -> None:
    page = {"@odata.context": "ctx", "value": USERS, NEXT_LINK: LINK}
    known_fast, known_general = {"e3"}, {"e3"}
    fast = page_rows(orjson.dumps(page), LINK, known_fast, sign_in)
    assert fast is not None
    assert fast == _general(page, known_general, sign_in)
    assert known_fast == known_general == {"e3", "gone", "new"}
    # An unlisted SKU is announced once, on the page that first names it.
    again = page_rows(orjson.dumps({"value": USERS[4:]}), None, known_fast, sign_in)
    assert again is not None and again.others == [] and again.seats == [("u5", "new", None)]


def test_the_last_page_has_no_next_link_and_an_empty_page_maps_to_nothing() -> None:
    fast = page_rows(b'{"value": []}', None, set(), True)
    assert fast is not None and (fast.accounts, fast.seats, fast.others) == ([], [], [])


DECLINED: dict[str, bytes] = {
    "not JSON": b'{"value": [',
    "trailing bytes": b'{"value": []} x',
    "an array": b"[]",
    "no value list": b'{"@odata.nextLink": null}',
    "value not a list": b'{"value": {"id": "u1"}}',
    "a user that is not an object": b'{"value": [null]}',
    "a user without id": b'{"value": [{"displayName": "Nobody"}]}',
    "an empty id": b'{"value": [{"id": ""}]}',
    "a numeric id": b'{"value": [{"id": 7}]}',
    "a department that is a number": b'{"value": [{"id": "u1", "department": 5}]}',
    "accountEnabled as text": b'{"value": [{"id": "u1", "accountEnabled": "false"}]}',
    "an unreadable time": b'{"value": [{"id": "u1", "createdDateTime": "yesterday"}]}',
    "an unreadable sign-in": (
        b'{"value": [{"id": "u1", "signInActivity": {"lastSignInDateTime": "soon"}}]}'
    ),
    "a licence that is not an object": b'{"value": [{"id": "u1", "assignedLicenses": ["e3"]}]}',
    "another next link": b'{"value": [], "@odata.nextLink": "https://graph.test/other"}',
    "an id that is not UTF-8": b'{"value": [{"id": "\xff"}]}',
    "nesting too deep": b'{"value": [{"id": "u1", "x": ' + b"[" * 1020 + b"]" * 1020 + b"}]}",
    "a next link that is not text": b'{"value": [], "@odata.nextLink": 5}',
}


@pytest.mark.parametrize("body", DECLINED.values(), ids=DECLINED.keys())
def test_pages_not_of_the_documented_shape_are_declined(body: bytes) -> None:
    assert page_rows(body, None, set(), True) is None


def test_a_declined_page_announces_no_sku_so_the_general_path_announces_them() -> None:
    users = [
        {"id": "u1", "assignedLicenses": [{"skuId": "gone"}]},
        {"id": "u2", "createdDateTime": "not a time"},
    ]
    known: set[str] = set()
    assert page_rows(orjson.dumps({"value": users}), None, known, True) is None
    assert known == set()


def test_the_connector_maps_a_declined_page_by_the_general_path() -> None:
    users = [{"id": "u1", "department": 5, "assignedLicenses": [{"skuId": "gone"}]}]
    connector = Microsoft365Connector({"tenant_id": "t", "client_id": "c", "client_secret": "s"})
    chunk = connector.chunk(_page({"value": users}))
    assert chunk == _general({"value": users}, set(), True)
    bad = _page({"value": [{"id": "u1", "createdDateTime": "yesterday"}]})
    with pytest.raises(ConnectorDataError, match="createdDateTime 'yesterday' for user u1"):
        connector.chunk(bad)


def _page(page: dict[str, Any]) -> GraphPage:
    return GraphPage(orjson.dumps(page), "https://graph.test/v1.0/users", None, True, frozenset())


def test_a_page_with_an_id_that_is_not_utf8_is_refused_by_the_general_path() -> None:
    connector = Microsoft365Connector({"tenant_id": "t", "client_id": "c", "client_secret": "s"})
    body = b'{"value": [{"id": "\xff"}]}'
    page = GraphPage(body, "https://graph.test/v1.0/users", None, True, frozenset())
    with pytest.raises(ConnectorDataError, match=r"not valid JSON from https://graph\.test"):
        connector.chunk(page)
