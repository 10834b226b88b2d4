"""Addresses a person types, edits or bookmarks: a bad one gets the error page in words,
and a filtered link opened before logging in opens as sent once logged in."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest

from tests.ui.conftest import PASSWORD, Web, csrf_of, email_of


def _hidden_next(html: str) -> str:
    match = re.search(r'name="next" value="([^"]*)"', html)
    assert match, "no next field on the login form"
    return match.group(1).replace("&amp;", "&")


def test_a_filtered_link_opened_logged_out_opens_as_sent_after_login(web: Web) -> None:
    client = web.client()
    wanted = "/spend?by=vendor&from=2026-03&to=2026-06"
    bounced = client.get(wanted, follow_redirects=False)
    assert bounced.status_code == 303
    location = bounced.headers["location"]
    assert location.startswith("/login?next=") and unquote(location[12:]) == wanted
    form = client.get(location)
    assert _hidden_next(form.text) == wanted
    logged_in = client.post(
        "/login",
        data={"email": email_of("finance"), "password": PASSWORD, "csrf": csrf_of(form.text),
              "next": _hidden_next(form.text)},
        follow_redirects=False,
    )  # fmt: skip
    assert logged_in.status_code == 303 and logged_in.headers["location"] == wanted


@pytest.mark.parametrize(
    "elsewhere", ["//evil.example/x", "/\\evil.example/x", "https://evil.example"]
)
def test_login_never_sends_anyone_to_another_site(web: Web, elsewhere: str) -> None:
    client = web.client()
    form = client.get("/login")
    logged_in = client.post(
        "/login",
        data={"email": email_of("viewer"), "password": PASSWORD, "csrf": csrf_of(form.text),
              "next": elsewhere},
        follow_redirects=False,
    )  # fmt: skip
    assert logged_in.status_code == 303 and logged_in.headers["location"] == "/"


@pytest.mark.parametrize(
    ("address", "words"),
    [
        ("/applications/abc", "'abc' in the address is not a valid application id"),
        ("/applications?offset=-1", "offset='-1' in the address: Input should be greater"),
        ("/people?offset=abc", "offset='abc' in the address: Input should be a valid integer"),
    ],
)
def test_a_bad_page_address_gets_the_error_page_not_json(
    web: Web, address: str, words: str
) -> None:
    page = web.client("asset_manager").get(address)
    assert page.status_code == 422
    assert page.headers["content-type"].startswith("text/html")
    assert "This address cannot be shown" in page.text
    assert words in page.text.replace("&#39;", "'")


def test_the_api_still_answers_bad_addresses_with_problem_json(web: Web) -> None:
    answer = web.client("asset_manager").get("/api/v1/applications?offset=-1")
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["loc"] == ["query", "offset"]
