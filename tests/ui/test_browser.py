"""The UI in a real headless Chromium: login, charts, review, downloads, connectors, axe."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from playwright.sync_api import expect

from tests.connectors.conftest import SandboxHandle
from tests.ui.browser import AXE, CHROMIUM, CHROMIUM_ARGS, require_chromium, serve
from tests.ui.conftest import PASSWORD, Web, email_of
from tests.ui.seed import seed_inventory

pytestmark = pytest.mark.browser

AXE_PAGES = [
    "/",
    "/applications",
    "/people",
    "/findings",
    "/renewals",
    "/spend",
    "/contracts",
    "/connectors",
    "/connectors/new?kind=slack",
    "/settings",
    "/account",
]


@pytest.fixture
def browser() -> Iterator[Any]:
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def site(web: Web, database: Any) -> Iterator[tuple[Web, str, dict[str, int]]]:
    ids = seed_inventory(web.db.engine)
    with serve(web.app) as url:
        yield web, url, ids


def login(browser: Any, url: str, role: str) -> tuple[Any, list[str]]:
    context = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on(
        "console",
        lambda m: (
            errors.append(f"{page.url}: {m.text} {m.location}") if m.type == "error" else None
        ),
    )
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{url}/login")
    page.fill("#email", email_of(role))
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")
    return page, errors


def test_dashboard_charts_render_without_console_errors(browser: Any, site: Any) -> None:
    _web, url, _ = site
    page, errors = login(browser, url, "admin")
    page.goto(f"{url}/applications/1")
    page.wait_for_selector("#chart-history .main-svg", timeout=10_000)
    page.goto(f"{url}/spend")
    page.goto(f"{url}/")
    assert page.locator("h1").inner_text() == "Dashboard"
    assert not errors, errors


def test_api_docs_render_under_a_csp_admitting_only_their_own_script(
    browser: Any, site: Any
) -> None:
    _web, url, _ = site
    page, errors = login(browser, url, "viewer")
    answer = page.goto(f"{url}/docs")
    assert answer is not None
    csp = answer.headers["content-security-policy"]
    assert "script-src 'self' 'sha256-" in csp and "unsafe-inline'; " not in csp.split("style")[0]
    page.wait_for_selector(".swagger-ui .info .title", timeout=10_000)
    assert "Seatwise" in page.locator(".swagger-ui .info .title").inner_text()
    page.locator(".opblock-tag", has_text="findings").first.wait_for(timeout=10_000)
    assert not errors, errors


def test_dismissing_a_finding_updates_the_total_live(browser: Any, site: Any) -> None:
    _web, url, _ = site
    page, errors = login(browser, url, "asset_manager")
    page.goto(f"{url}/findings")
    assert "16.00 EUR" in page.locator("#savings-total").inner_text()
    page.check('input[name="keys"][value="unused_seat:U1:pro"]')
    page.fill("#reason", "kept for the auditor")
    page.click('button[value="dismissed"]')
    expect(page.locator("#savings-total")).to_contain_text("8.00")
    assert page.url.endswith("/findings")  # swapped in place by htmx, no reload
    assert not errors, errors


def test_findings_export_link_and_address_follow_the_filters(browser: Any, site: Any) -> None:
    _web, url, _ = site
    page, errors = login(browser, url, "asset_manager")
    page.goto(f"{url}/findings")
    page.select_option("#f-kind", "unused_seat")
    expect(page.locator("a[data-export]")).to_have_attribute("href", re.compile("kind=unused_seat"))
    assert "kind=unused_seat" in page.url
    assert not errors, errors


def test_pages_swapped_by_htmx_leave_no_copy_in_local_storage(browser: Any, site: Any) -> None:
    # htmx kept the last ten pages (findings, people, applications) in localStorage to
    # restore them on Back: on disk, after the logout, for the next user of the browser.
    _web, url, _ = site
    page, errors = login(browser, url, "asset_manager")
    page.goto(f"{url}/findings")
    entries = page.evaluate("() => history.length")
    page.select_option("#f-kind", "unused_seat")
    page.wait_for_function(f"() => history.length === {entries + 1}")  # htmx pushed it
    page.select_option("#f-kind", "")
    page.wait_for_function(f"() => history.length === {entries + 2}")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("() => window.localStorage.getItem('htmx-history-cache')") is None
    page.go_back()  # no copy: the page is asked for again, whole
    page.wait_for_load_state("networkidle")
    expect(page.locator("h1")).to_have_text("Findings")
    expect(page.locator("#findings-list")).to_be_visible()
    assert page.evaluate("() => window.localStorage.getItem('htmx-history-cache')") is None
    assert not errors, errors


def test_spend_xlsx_download_opens_with_openpyxl(browser: Any, site: Any) -> None:
    _web, url, _ = site
    page, _ = login(browser, url, "finance")
    page.goto(f"{url}/spend")
    with page.expect_download() as info:
        page.click("#download-xlsx")
    data = Path(info.value.path()).read_bytes()
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook.sheetnames


def test_finance_user_is_refused_the_connectors_page(browser: Any, site: Any) -> None:
    _web, url, _ = site
    page, _ = login(browser, url, "finance")
    response = page.goto(f"{url}/connectors")
    assert response is not None and response.status == 403
    assert "Forbidden" in page.locator("h1").inner_text()


def test_add_a_connector_to_the_sandbox_and_sync_it(
    browser: Any, site: Any, slack_sandbox: SandboxHandle
) -> None:
    _web, url, _ = site
    page, errors = login(browser, url, "asset_manager")
    page.goto(f"{url}/connectors/new?kind=slack")
    page.fill("#f-name", "slack-sandbox")
    for key, value in slack_sandbox.config.items():
        if isinstance(value, bool):
            continue
        page.fill(f"#f-{key}", str(value))
    page.click("text=Add connector")
    page.wait_for_url(f"{url}/connectors/slack-sandbox?added=1")
    page.click("text=Test connection")
    page.wait_for_selector("#test-result .notice")
    assert "Connection works" in page.locator("#test-result").inner_text()
    page.click("text=Sync now")
    page.wait_for_selector("#runs .badge.succeeded", timeout=30_000)
    assert not errors, errors


def test_every_page_passes_axe_without_serious_violations(browser: Any, site: Any) -> None:
    _web, url, ids = site
    page, _ = login(browser, url, "admin")
    axe = AXE.read_text()
    problems = []
    for path in [
        *AXE_PAGES,
        f"/applications/{ids['slack']}",
        f"/people/{ids['person']}",
        "/connectors/slack-main",
        "/contracts/1",
    ]:
        page.goto(f"{url}{path}")
        page.evaluate(axe)
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        for v in result["violations"]:
            if v["impact"] in ("serious", "critical"):
                targets = [n["target"] for n in v["nodes"][:3]]
                problems.append(f"{path}: {v['id']} ({v['impact']}): {v['help']} {targets}")
    assert not problems, "\n".join(problems)


def test_notification_settings_save_on_enter_show_errors_inline_and_pass_axe(
    browser: Any, site: Any
) -> None:
    _web, url, _ = site
    page, errors = login(browser, url, "admin")
    page.goto(f"{url}/settings#notifications")
    page.fill("#ns-escalation_days", "10")
    page.click("text=Save notification settings")
    page.wait_for_url("**#notifications")
    expect(page.locator("#notifications")).to_contain_text("Reset Escalation days to default")
    # Enter in a field submits the form's own Save button, never a reset button.
    page.fill("#ns-digest_schedule", "30 6 * * fri")
    page.press("#ns-digest_schedule", "Enter")
    page.wait_for_url("**message=Saved+1+**")
    expect(page.locator("#jobs")).to_contain_text("30 6 * * fri")
    expect(page.locator("#ns-escalation_days")).to_have_value("10")
    assert not errors, errors  # the 422 below is logged by the browser as a failed load
    page.fill("#ns-alerts_time", "25:00")
    page.click("text=Save notification settings")
    expect(page.locator("#ns-alerts_time-error")).to_contain_text(
        "Daily alerts time: must be HH:MM (24-hour), got '25:00'"
    )
    expect(page.locator("#ns-alerts_time")).to_have_attribute("aria-invalid", "true")
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    serious = [v["id"] for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, serious


def test_an_asset_manager_sets_an_applications_owner_and_category(browser: Any, site: Any) -> None:
    _web, url, ids = site
    page, errors = login(browser, url, "asset_manager")
    page.goto(f"{url}/applications/{ids['zoom']}")
    expect(page.locator(".card", has_text="owner")).to_contain_text("no owner")
    page.click("summary:has-text('Owner and category')")
    page.fill("#owner_email", "Video.Lead@X.test")
    page.fill("#category", "Meetings")
    page.click("button:has-text('Save owner and category')")
    expect(page.locator("p.notice[role=status]")).to_contain_text("Saved.")
    expect(page.locator(".card", has_text="owner")).to_contain_text("video.lead@x.test")
    expect(page.locator(".card", has_text="category")).to_contain_text("Meetings")
    assert not errors, errors
