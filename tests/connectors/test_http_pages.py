"""Next links read from unparsed pages (``connectors.http.next_link_in``)."""

from __future__ import annotations

import orjson
import pytest

from connectors.http import next_link_in

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
