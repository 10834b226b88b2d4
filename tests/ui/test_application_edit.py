"""An application's owner and category: set on its page, by REST and by the CLI, audited.

The owner is where renewal alerts of contracts naming no owner go; before this, nothing
could set it, so every application showed "no owner".
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlmodel import Session, select

from app.auth.models import AuditLog
from app.inventory.models import Application
from app.notify.dispatch import run_alerts
from tests.notify.seed import PROCUREMENT, seed_contract, settings_for
from tests.ui.conftest import Web, csrf_of
from tests.ui.seed import seed_inventory


def _app(web_or_engine: Any, app_id: int) -> Application:
    engine = getattr(getattr(web_or_engine, "db", None), "engine", web_or_engine)
    with Session(engine) as s:
        row = s.get(Application, app_id)
        assert row is not None
        return row


def _audits(engine: Any) -> list[AuditLog]:
    with Session(engine) as s:
        return list(s.exec(select(AuditLog).where(AuditLog.action == "application.update")))


def test_asset_manager_sets_owner_and_category_on_the_page(web: Web) -> None:
    ids = seed_inventory(web.db.engine)
    client = web.client("asset_manager")
    url = f"/applications/{ids['zoom']}"
    page = client.get(url).text
    assert "no owner" in page and "Save owner and category" in page
    response = client.post(
        url,
        data={"csrf": csrf_of(page), "owner_email": " Video.Lead@X.test ", "category": "Meetings"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == f"{url}?saved=1"
    after = client.get(response.headers["location"]).text
    assert "Saved." in after and "video.lead@x.test" in after and "Meetings" in after
    row = _app(web, ids["zoom"])
    assert (row.owner_email, row.category) == ("video.lead@x.test", "Meetings")
    [entry] = _audits(web.db.engine)
    assert entry.actor == "asset-manager@example.com" and entry.target == "Zoom"
    assert entry.details == {
        "before": {"owner_email": None, "category": "Video"},
        "after": {"owner_email": "video.lead@x.test", "category": "Meetings"},
    }
    # Saving the same values again changes and audits nothing.
    client.post(
        url,
        data={"csrf": csrf_of(after), "owner_email": "video.lead@x.test", "category": "Meetings"},
    )
    assert len(_audits(web.db.engine)) == 1


def test_a_bad_owner_is_shown_on_the_page_and_nothing_changes(web: Web) -> None:
    ids = seed_inventory(web.db.engine)
    client = web.client("admin")
    url = f"/applications/{ids['slack']}"
    csrf = csrf_of(client.get(url).text)
    response = client.post(
        url, data={"csrf": csrf, "owner_email": "not an address", "category": "Chat"}
    )
    assert response.status_code == 422
    assert "owner_email:" in response.text and 'value="not an address"' in response.text
    response = client.post(url, data={"csrf": csrf, "owner_email": "", "category": "x" * 101})
    assert response.status_code == 422 and "category: String should have at most 100" in (
        response.text
    )
    row = _app(web, ids["slack"])
    assert (row.owner_email, row.category) == ("it@x.test", "Collaboration")
    assert _audits(web.db.engine) == []


def test_readers_see_owner_and_category_but_no_form(web: Web) -> None:
    ids = seed_inventory(web.db.engine)
    page = web.client("finance").get(f"/applications/{ids['slack']}").text
    assert "it@x.test" in page and "Collaboration" in page
    assert "Save owner and category" not in page
    forbidden = web.client("procurement").post(
        f"/applications/{ids['slack']}", data={"owner_email": "a@x.test"}
    )
    assert forbidden.status_code == 403


def test_rest_lists_and_patches_applications(web: Web) -> None:
    ids = seed_inventory(web.db.engine)
    api = web.client(None)
    api.headers["Authorization"] = f"Bearer {web.tokens['asset_manager']}"
    listing = api.get("/api/v1/applications", params={"search": "slack tech"}).json()
    assert listing["total"] == 1 and listing["items"] == [
        {
            "id": ids["slack"],
            "name": "Slack",
            "vendor": "Slack Technologies",
            "category": "Collaboration",
            "owner_email": "it@x.test",
            "status": "active",
        }
    ]
    # LIKE's wildcards in the text match themselves, not any character.
    with Session(web.db.engine) as s:
        s.add(Application(name="Zoom_Rooms 100%"))
        s.commit()
    cases = (("_", 1), ("m_r", 1), ("0%", 1), ("o%", 0), ("\\", 0), ("ZOO", 2), ("", 3))
    for text, total in cases:
        page = api.get("/api/v1/applications", params={"search": text}).json()
        assert page["total"] == total, text
    url = f"/api/v1/applications/{ids['slack']}"
    patched = api.patch(url, json={"owner_email": "Chat.Owner@X.test"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["owner_email"] == "chat.owner@x.test"
    assert patched.json()["category"] == "Collaboration"  # not named: left alone
    cleared = api.patch(url, json={"category": "  "}).json()
    assert cleared["category"] is None and cleared["owner_email"] == "chat.owner@x.test"
    bad = api.patch(url, json={"owner_email": "nope"})
    assert bad.status_code == 422 and "owner_email" in bad.json()["detail"]
    unknown = api.patch(url, json={"status": "retired"})
    assert unknown.status_code == 422
    assert api.patch("/api/v1/applications/999999", json={}).status_code == 404
    finance = web.client(None)
    finance.headers["Authorization"] = f"Bearer {web.tokens['finance']}"
    assert finance.get("/api/v1/applications").status_code == 200
    assert finance.patch(url, json={"category": "X"}).status_code == 403
    assert _app(web, ids["slack"]).category is None


def test_cli_sets_and_lists_applications(cli: Any, committed_db: Any) -> None:
    seed_contract(committed_db.engine, owner_email=None, app_name="Figma")
    result = cli("inventory", "set-app", "figma", "--owner", "Design@Example.com")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "Figma: owner design@example.com, category -"
    result = cli("inventory", "set-app", "Figma", "--category", "Design", "--owner", "")
    assert result.stdout.strip() == "Figma: owner -, category design"  # the catalogue's
    listing = json.loads(cli("inventory", "applications", "--json").stdout)
    assert [(a["name"], a["vendor"], a["category"], a["owner_email"]) for a in listing] == [
        ("Figma", "Figma Inc", "design", None)
    ]
    nothing = cli("inventory", "set-app", "Figma")
    assert nothing.exit_code == 2 and "give --owner, --category or both" in nothing.stderr
    too_long = cli("inventory", "set-app", "Figma", "--category", "c" * 101)
    assert too_long.exit_code == 2 and "category: String should have at most 100" in (
        too_long.stderr
    )
    bad = cli("inventory", "set-app", "Figma", "--owner", "nobody")
    assert bad.exit_code == 1 and "owner_email:" in bad.stderr
    missing = cli("inventory", "set-app", "Sketch", "--owner", "a@example.com")
    assert missing.exit_code == 1 and "no application with id or name 'Sketch'" in missing.stderr
    assert len(_audits(committed_db.engine)) == 2


def test_renewal_alert_of_a_contract_without_owner_goes_to_the_application_owner(
    cli: Any, committed_db: Any
) -> None:
    renewal = date(2027, 3, 1)
    seed_contract(committed_db.engine, renewal_date=renewal, owner_email=None)
    settings = settings_for(2525)  # nothing is delivered: deliver=False

    def recipients() -> list[str]:
        report = run_alerts(
            engine=committed_db.engine, settings=settings, as_of=date(2026, 12, 1), deliver=False
        )
        return sorted(x.recipient for x in report.planned if x.kind == "renewal" and x.queued)

    assert recipients() == [PROCUREMENT]
    assert cli("inventory", "set-app", "Figma", "--owner", "design@example.com").exit_code == 0
    assert recipients() == ["design@example.com"]


def test_ids_beyond_any_row_are_refused_by_name_not_a_database_error(
    web: Web, cli: Any, committed_db: Any
) -> None:
    huge = "99999999999999999999"
    api = web.client(None)
    api.headers["Authorization"] = f"Bearer {web.tokens['admin']}"
    patched = api.patch(f"/api/v1/applications/{huge}", json={"category": "X"})
    assert patched.status_code == 422 and "less than or equal to 2147483647" in patched.text
    page = web.client("admin").get(f"/applications/{huge}")
    assert page.status_code == 422
    assert web.client("admin").get("/contracts/2147483648").status_code == 422
    assert api.patch("/api/v1/applications/2147483647", json={}).status_code == 404
    for ref in (huge, "²", "0"):
        result = cli("inventory", "set-app", ref, "--category", "X")
        assert result.exit_code == 1, ref
        assert f"no application with id or name {ref!r}" in result.stderr, result.stderr


def test_huge_offsets_and_windows_are_refused_naming_the_limit(web: Web, cli: Any) -> None:
    api = web.client(None)
    api.headers["Authorization"] = f"Bearer {web.tokens['admin']}"
    huge = "9" * 30
    for url in (
        f"/api/v1/products?offset={huge}",
        f"/api/v1/accounts?offset={huge}",
        f"/api/v1/applications?offset={huge}",
        f"/api/v1/findings?offset={huge}",
        f"/api/v1/products?active_days={huge}",
    ):
        response = api.get(url)
        assert response.status_code == 422, (url, response.text)
        assert "less than or equal to" in response.json()["detail"], url
    assert web.client("admin").get(f"/applications?offset={huge}").status_code == 422
    assert api.get("/api/v1/products?offset=2147483647").status_code == 200
    result = cli("inventory", "products", "--active-days", huge)
    assert result.exit_code == 2 and "36500" in result.stderr


def test_a_category_in_another_spelling_is_the_one_already_used(web: Web) -> None:
    """Spend by category and the overlap rules compare categories exactly: a second
    spelling of one must not split it."""
    ids = seed_inventory(web.db.engine)
    api = web.client(None)
    api.headers["Authorization"] = f"Bearer {web.tokens['asset_manager']}"
    cases = [
        ("Video_Conferencing", "video_conferencing"),  # the catalogue's key, another case
        ("video conferencing", "video_conferencing"),  # its name
        ("  COLLABORATION ", "Collaboration"),  # one an application already has
        ("Design  tools", "Design tools"),  # new: kept as typed, spaces tidied
        ("design-tools", "Design tools"),  # and found again in another spelling
    ]
    for typed, stored in cases:
        answer = api.patch(f"/api/v1/applications/{ids['zoom']}", json={"category": typed})
        assert answer.status_code == 200 and answer.json()["category"] == stored, typed
