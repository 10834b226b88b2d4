"""A request body larger than any route reads is refused before it is read, and every
answer, the middleware's own refusals and a bug's 500 included, carries the security
headers."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core import body_limit
from app.core.settings import Settings
from app.main import CSP, HSTS, create_app, security_headers
from tests.api_tokens import api_client
from tests.conftest import Database

Api = tuple[TestClient, dict[str, dict[str, str]]]
HEADERS = ("content-security-policy", "x-content-type-options", "x-frame-options")


@pytest.fixture
def api(committed_db: Database) -> Iterator[Api]:
    with api_client(committed_db) as pair:
        yield pair


def _chunks(head: bytes, count: int, size: int) -> Iterator[bytes]:
    """A body sent in chunks, without a Content-Length."""
    yield head
    for _ in range(count):
        yield b"A" * size


def _secured(response: Any) -> None:
    for name in HEADERS:
        assert name in response.headers, (name, response.status_code, response.headers)


def test_a_login_form_larger_than_any_form_is_refused_before_it_is_read(api: Api) -> None:
    # Unauthenticated: a 300 MB form took the server from 240 MB to 1.7 GB of memory.
    client, _ = api
    declared = body_limit.MAX_BODY_BYTES + 1
    response = client.post(
        "/login",
        content=b"email=a%40example.com&password=x",
        headers={
            "content-type": "application/x-www-form-urlencoded",
            "content-length": str(declared),
        },
    )
    assert response.status_code == 413, response.text
    assert "larger than 10 MB" in response.json()["detail"]
    _secured(response)


def test_a_chunked_body_is_cut_off_at_the_limit(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(body_limit, "MAX_BODY_BYTES", 64 * 1024)
    client, auth = api
    response = client.post(
        "/api/v1/findings/bulk",
        content=_chunks(b'{"keys": ["', 1000, 1024),
        headers={**auth["admin"], "content-type": "application/json"},
    )
    assert response.status_code == 413, response.text
    _secured(response)


def test_an_upload_over_the_limit_is_a_413_problem(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(body_limit, "MAX_MULTIPART_BYTES", 64 * 1024)
    client, auth = api
    files = {"file": ("c.csv", b"x" * (128 * 1024), "text/csv")}
    response = client.post("/api/v1/imports/contracts", files=files, headers=auth["admin"])
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "larger than" in response.json()["detail"]
    _secured(response)


def test_a_body_within_the_limit_is_read_as_before(api: Api) -> None:
    client, auth = api
    response = client.post(
        "/api/v1/findings/bulk",
        json={"keys": ["x" * 100] * 1000, "status": "acknowledged"},
        headers=auth["admin"],
    )
    assert response.status_code != 413, response.text


def test_a_refused_nul_carries_the_security_headers(api: Api) -> None:
    client, _ = api
    response = client.get("/login?next=%00")
    assert response.status_code == 422
    _secured(response)


def test_a_bugs_500_carries_the_security_headers(committed_db: Database) -> None:
    with api_client(committed_db) as (client, _):
        app: Any = client.app

        @app.get("/test-bug")
        def bug() -> None:
            raise RuntimeError("secret internals")

        quiet = TestClient(app, raise_server_exceptions=False)
        for accept in ("text/html", "application/json"):
            response = quiet.get("/test-bug", headers={"accept": accept})
            assert response.status_code == 500
            _secured(response)
            assert response.headers["cache-control"] == "no-store"


def test_the_docs_page_admits_its_own_inline_script_and_no_other(api: Api) -> None:
    client, _ = api
    docs = client.get("/docs")
    csp = docs.headers["content-security-policy"]
    (script,) = re.findall(r"<script>(.*?)</script>", docs.text, flags=re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'self' 'sha256-{digest}';" in csp
    assert "'unsafe-inline'" not in csp.split("style-src")[0]
    _secured(docs)
    _secured(client.get("/openapi.json"))
    assert security_headers()["Content-Security-Policy"] == CSP


def test_pages_api_answers_and_downloads_are_not_stored_by_the_browser(api: Api) -> None:
    client, auth = api
    answers = [
        client.get("/login"),
        client.get("/api/v1/findings", headers=auth["admin"]),
        client.get("/api/v1/findings/export", headers=auth["admin"]),
        client.get("/api/v1/nothing", headers=auth["admin"]),
    ]
    for answer in answers:
        assert answer.headers.get("cache-control") == "no-store", (answer.url, answer.headers)


def test_static_files_keep_their_own_caching(api: Api) -> None:
    client, _ = api
    assert "no-store" not in client.get("/static/app.js").headers.get("cache-control", "")
    vendor = client.get("/static/vendor/htmx.min.js")
    if vendor.status_code == 200:  # node_modules installed
        assert vendor.headers["cache-control"] == "public, max-age=86400"


def test_hsts_is_sent_when_served_over_https_and_not_otherwise(committed_db: Database) -> None:

    def hsts(**options: Any) -> str | None:
        settings = Settings(
            database_url=committed_db.url, secret_key="k" * 40, environment="test", **options
        )
        with TestClient(create_app(settings, committed_db.engine)) as client:
            return client.get("/login").headers.get("strict-transport-security")

    assert hsts(cookie_secure=True) == HSTS == "max-age=31536000"
    assert hsts() is None  # plain HTTP in development: nothing to pin
