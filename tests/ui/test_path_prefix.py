"""Seatwise behind a proxy that serves it under a path (``SEATWISE_BASE_URL`` with a path):
every link, form, htmx address and redirect a page sends stays under that path, whether
the proxy strips the path before forwarding or forwards it as is."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from urllib.parse import unquote, urlsplit

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.conftest import Database
from tests.login_cookie import COOKIE, login_cookie
from tests.ui.browser import CHROMIUM, CHROMIUM_ARGS, require_chromium, serve
from tests.ui.conftest import PASSWORD, Web, add_role_users, csrf_of, email_of, make_settings
from tests.ui.seed import seed_inventory

PREFIX = "/seatwise"
# Every attribute that holds an address the browser (or htmx, or app.js) will request.
ADDRESS = re.compile(r'\s(href|src|action|hx-[a-z-]+|data-export)="([^"]*)"')


@pytest.fixture
def proxied(committed_db: Database) -> Iterator[Web]:
    settings = make_settings(committed_db).model_copy(
        update={"base_url": f"https://intranet.example.com{PREFIX}/"}
    )
    tokens, ids = add_role_users(committed_db)
    seed_inventory(committed_db.engine)
    yield Web(create_app(settings, committed_db.engine), committed_db, settings, tokens, ids)


def _client(web: Web, role: str | None = None) -> TestClient:
    client = TestClient(web.app, base_url="https://intranet.example.com")
    if role:
        cookie = login_cookie(
            web.db.engine, web.user_ids[role], web.settings.secret_key, web.settings.session_max_age
        )
        client.cookies.set(COOKIE, cookie)
    return client


def _site_addresses(html: str) -> list[tuple[str, str]]:
    """The page's (attribute, address) of this site: the site-absolute ones ("?query"
    and "#anchor" ones are relative to the page, so they keep its path)."""
    return [(name, unescape(value)) for name, value in ADDRESS.findall(html) if value[:1] == "/"]


def test_every_page_an_admin_reaches_links_only_under_the_prefix(proxied: Web) -> None:
    client = _client(proxied, "admin")
    seen: set[str] = set()
    queue = [f"{PREFIX}/"]
    while queue and len(seen) < 60:
        address = queue.pop(0)
        if address in seen:
            continue
        seen.add(address)
        response = client.get(address, follow_redirects=False)
        assert response.status_code in (200, 303, 307, 308), (address, response.status_code)
        if response.is_redirect:
            assert response.headers["location"].startswith(f"{PREFIX}/"), address
            continue
        if not response.headers["content-type"].startswith("text/html"):
            continue
        meta = re.search(r'name="seatwise-root" content="([^"]*)"', response.text)
        assert meta and meta.group(1) == PREFIX, address
        for name, link in _site_addresses(response.text):
            assert link.startswith(f"{PREFIX}/"), f"{address}: {name} {link}"
            path = urlsplit(link).path
            readable = name in ("href", "hx-get") and not path.startswith(f"{PREFIX}/api/")
            if readable and not path.endswith((".csv", ".xlsx")):
                queue.append(link.split("#")[0])
    # The crawl reached the whole navigation, not just the dashboard.
    reached = {urlsplit(a).path for a in seen}
    for page in ("/applications", "/findings", "/renewals", "/spend", "/connectors", "/people"):
        assert f"{PREFIX}{page}" in reached


@pytest.mark.parametrize("forwarded", ["stripped", "as is"])
def test_a_proxy_may_strip_the_prefix_or_forward_it(proxied: Web, forwarded: str) -> None:
    client = _client(proxied, "admin")
    address = "/applications" if forwarded == "stripped" else f"{PREFIX}/applications"
    page = client.get(address)
    assert page.status_code == 200
    assert f'href="{PREFIX}/applications/' in page.text
    assert client.get(f"{PREFIX}/static/app.js").status_code == 200
    assert client.get(f"{PREFIX}/api/v1/products", headers={"Accept": "application/json"}).json()


def test_logging_in_under_the_prefix_returns_to_the_page_asked_for(proxied: Web) -> None:
    client = _client(proxied)
    wanted = "/spend?by=vendor&from=2026-03&to=2026-06"
    bounced = client.get(f"{PREFIX}{wanted}", follow_redirects=False)
    assert bounced.status_code == 303
    location = bounced.headers["location"]
    assert location.startswith(f"{PREFIX}/login?next=")
    assert unquote(location.split("next=", 1)[1]) == wanted
    form = client.get(location)
    assert f'action="{PREFIX}/login"' in form.text
    logged_in = client.post(
        f"{PREFIX}/login",
        data={"email": email_of("finance"), "password": PASSWORD, "csrf": csrf_of(form.text),
              "next": wanted},
        follow_redirects=False,
    )  # fmt: skip
    assert logged_in.status_code == 303 and logged_in.headers["location"] == f"{PREFIX}{wanted}"
    # The session cookie belongs to Seatwise's path, not to every application on the host.
    assert f"path={PREFIX};" in logged_in.headers["set-cookie"].lower()


def test_a_redirect_and_an_htmx_address_bar_get_the_prefix(proxied: Web) -> None:
    client = _client(proxied, "admin")
    assert client.get(f"{PREFIX}/favicon.ico", follow_redirects=False).headers["location"] == (
        f"{PREFIX}/static/favicon.svg"
    )
    page = client.get(f"{PREFIX}/findings")
    answer = client.post(
        f"{PREFIX}/findings/review",
        data={"csrf": csrf_of(page.text), "action": "acknowledged", "keys": []},
        headers={"HX-Request": "true"},
    )
    assert answer.status_code == 200
    assert answer.headers["HX-Push-Url"].startswith(f"{PREFIX}/findings")


def test_swagger_ui_loads_the_schema_under_the_prefix(proxied: Web) -> None:
    client = _client(proxied)
    docs = client.get(f"{PREFIX}/docs")
    assert f"url: '{PREFIX}/openapi.json'" in docs.text
    assert f'src="{PREFIX}/static/vendor/swagger-ui-bundle.js"' in docs.text
    schema = client.get(f"{PREFIX}/openapi.json").json()
    assert schema["servers"][0]["url"] == PREFIX


@pytest.mark.parametrize("forwarded", ["stripped", "as is"])
def test_a_404_names_the_api_list_under_the_prefix(proxied: Web, forwarded: str) -> None:
    client = _client(proxied, "admin")
    address = "/api/v1/nothing" if forwarded == "stripped" else f"{PREFIX}/api/v1/nothing"
    answer = client.get(address, headers={"Accept": "application/json"})
    assert answer.status_code == 404
    assert answer.json()["detail"] == (
        f"nothing at {PREFIX}/api/v1/nothing; the API's addresses are listed at {PREFIX}/docs"
    )


def test_a_base_url_with_a_query_is_refused_naming_the_setting() -> None:
    from pydantic import ValidationError

    from app.core.settings import Settings

    with pytest.raises(ValidationError, match="SEATWISE_BASE_URL"):
        Settings(base_url="https://intranet.example.com/seatwise?x=1", secret_key="k" * 40)


@pytest.mark.browser
def test_in_a_browser_htmx_filters_reviews_and_chart_clicks_stay_under_the_prefix(
    proxied: Web, database: Database
) -> None:
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    with serve(proxied.app) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{url}{PREFIX}/findings")  # not logged in: the login form, then back
        page.fill("#email", email_of("asset_manager"))
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{url}{PREFIX}/findings")
        page.select_option("#f-kind", "unused_seat")
        expect(page.locator("a[data-export]")).to_have_attribute(
            "href", re.compile(f"^{PREFIX}/findings.csv\\?.*kind=unused_seat")
        )
        assert page.url.startswith(f"{url}{PREFIX}/findings?")
        page.check('input[name="keys"][value="unused_seat:U1:pro"]')
        page.click('button[value="dismissed"]')
        expect(page.locator("#savings-total")).to_contain_text("8.00")
        page.goto(f"{url}{PREFIX}/")
        bar = page.locator("#chart-category .point path").first
        bar.wait_for(timeout=10_000)
        bar.click(force=True)
        page.wait_for_url(re.compile(f"^{url}{PREFIX}/spend\\?by=category"))
        browser.close()
    assert not errors, errors
