"""A page says what a form did ("Saved C-1.") only when the server wrote it: a link
crafted with ``?message=…`` cannot put words on a real Seatwise page."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.ui.conftest import Web, csrf_of
from tests.ui.seed import seed_inventory

BAIT = "Your licence expired. Call +1 555 0100 to renew."
PAGES = ["/settings", "/account", "/contracts", "/renewals", "/findings"]


@pytest.mark.parametrize("path", PAGES)
def test_a_message_written_into_a_link_is_not_shown(web: Web, path: str) -> None:
    seed_inventory(web.db.engine)
    page = web.client("admin").get(f"{path}?message={quote(BAIT)}&sig=0123456789abcdef")
    assert page.status_code == 200 and BAIT not in page.text


def test_a_connector_test_outcome_written_into_a_link_is_not_shown(web: Web) -> None:
    client = web.client("admin")
    page = client.get("/connectors/new?kind=slack")
    added = client.post(
        "/connectors/new?kind=slack",
        data={"csrf": csrf_of(page.text), "name": "chat", "token": "xoxb-1",
              "api_url": "https://127.0.0.1:9/api"},
        follow_redirects=False,
    )  # fmt: skip
    assert added.status_code == 303, added.text
    crafted = client.get(f"/connectors/chat?tested={quote(BAIT)}&ok=1")
    assert crafted.status_code == 200 and BAIT not in crafted.text


def test_the_servers_own_messages_are_shown_and_cannot_be_altered(web: Web) -> None:
    client = web.client("admin")
    page = client.get("/settings")
    saved = client.post(
        "/settings/policies",
        data={"csrf": csrf_of(page.text), "inactive_days": "60"},
        follow_redirects=False,
    )
    location = saved.headers["location"]
    assert saved.status_code == 303 and "message=Policy+saved&sig=" in location
    assert "Policy saved" in client.get(location).text
    altered = location.replace("Policy+saved", "Policy+lost")
    assert "Policy lost" not in client.get(altered).text
