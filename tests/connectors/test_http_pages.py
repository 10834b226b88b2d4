"""Pages handed on unparsed, and the next links read from them (``connectors.http``)."""

from __future__ import annotations

import httpx
import orjson
import pytest

from connectors.base import ConnectorDataError
from connectors.http import follow_next_links_unparsed, next_link_in

KEY = "@odata.nextLink"


@pytest.mark.parametrize(
    "body",
    [
        b'{"@odata.nextLink":"https://g.test/users?$skiptoken=a%2Fb","value":[]}',
        b'{"value": [{"id": "1"}],\n  "@odata.nextLink" :\t"https://g.test/users?$skiptoken=a%2Fb"}',
        b'{"@odata.context":"x","@odata.nextLink":"https:\\/\\/g.test\\/users?$skiptoken=a%2Fb"}',
    ],
)
def test_the_member_is_found_wherever_it_stands(body: bytes) -> None:
    assert next_link_in(body, KEY) == "https://g.test/users?$skiptoken=a%2Fb"
    assert next_link_in(body, KEY) == orjson.loads(body)[KEY]


def test_the_name_inside_a_string_value_is_not_taken_for_the_member() -> None:
    page = {
        "value": [{"displayName": 'x", "@odata.nextLink": "https://evil.test/"'},
                  {"displayName": '{"@odata.nextLink":"https://evil.test/"}'}],
        KEY: "https://g.test/2",
    }  # fmt: skip
    assert next_link_in(orjson.dumps(page), KEY) == "https://g.test/2"
    del page[KEY]
    assert next_link_in(orjson.dumps(page), KEY) is None


def test_a_last_page_has_no_link_and_null_is_none() -> None:
    assert next_link_in(b'{"value":[]}', KEY) is None
    assert next_link_in(b'{"value":[],"@odata.nextLink":null}', KEY) is None


def test_a_link_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(ValueError, match="neither a string nor null"):
        next_link_in(b'{"@odata.nextLink": 42, "value": []}', KEY)


def _pages(*bodies: bytes) -> list[tuple[bytes, str, str | None]]:
    responses = iter(bodies)

    def get(url: str, params: object) -> httpx.Response:
        return httpx.Response(200, content=next(responses), request=httpx.Request("GET", url))

    return list(follow_next_links_unparsed(get, "https://g.test/users?$top=2", None, next_key=KEY))


def test_unparsed_pages_follow_their_links_to_the_end() -> None:
    pages = _pages(
        b'{"@odata.nextLink": "https://g.test/users?$skiptoken=2", "value": [1, 2]}',
        b'{"value": [3]}',
    )
    assert [(url, link) for _body, url, link in pages] == [
        ("https://g.test/users", "https://g.test/users?$skiptoken=2"),
        ("https://g.test/users", None),
    ]


def test_a_repeated_link_is_refused_naming_the_page() -> None:
    again = b'{"@odata.nextLink": "https://g.test/users?$skiptoken=2", "value": []}'
    with pytest.raises(ConnectorDataError, match=r"repeated @odata.nextLink from https://g.test"):
        _pages(again, again)


def test_a_page_cut_off_in_its_link_ends_the_pages_for_its_parser_to_refuse() -> None:
    cut = b'{"value": [], "@odata.nextLink": "https://g.test/us'
    ((body, _url, link),) = _pages(cut)
    assert body == cut and link is None  # parsing it fails, naming the page's URL


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.test/users?$skiptoken=2",
        "http://g.test/users?$skiptoken=2",  # the token in clear
        "https://g.test:8443/users?$skiptoken=2",
        "https://g.test.evil.test/users?$skiptoken=2",
        "https://g.test@evil.test/users?$skiptoken=2",
        "//evil.test/users?$skiptoken=2",
        "https://graph.microsoft.com/users?$skiptoken=2",  # a simulator unaware of its address
        "/users?$skiptoken=2",  # relative: read against the page
    ],
)
def test_every_link_is_asked_of_the_first_pages_server_the_token_is_for(link: str) -> None:
    # Every request carries the Graph access token: a link elsewhere (a tampered page, a
    # proxy) must not hand it over, and its path and query still lead to the next page.
    asked: list[str] = []

    def get(url: str, params: object) -> httpx.Response:
        asked.append(url)
        body = orjson.dumps({KEY: link, "value": []} if len(asked) == 1 else {"value": []})
        return httpx.Response(200, content=body, request=httpx.Request("GET", url))

    pages = follow_next_links_unparsed(get, "https://g.test/users?$top=2", None, next_key=KEY)
    assert [found for _body, _url, found in pages] == [link, None]  # the page's own link
    assert asked == ["https://g.test/users?$top=2", "https://g.test/users?$skiptoken=2"]


def test_a_link_to_the_same_server_spelt_otherwise_is_followed_as_given() -> None:
    pages = _pages(
        b'{"@odata.nextLink": "https://G.TEST/users?$skiptoken=2", "value": [1]}',
        b'{"value": [2]}',
    )
    assert [link for _body, _url, link in pages] == ["https://G.TEST/users?$skiptoken=2", None]
