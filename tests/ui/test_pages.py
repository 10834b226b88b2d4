"""Pages render for the roles allowed, with useful empty states, CSRF on every form."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal

from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session, select, update

from app.findings.models import Finding
from app.inventory.models import Product
from app.inventory.seat_counts import cache_of
from app.people.models import Account
from app.spend.models import FxRate
from app.sync.models import ConnectorConfig
from app.usage.models import UsageDaily
from tests.ui.conftest import Web, csrf_of
from tests.ui.seed import seed_inventory

PAGES = [
    "/",
    "/applications",
    "/applications?sort=-cost&q=sl",
    "/people",
    "/findings",
    "/renewals",
    "/spend",
    "/contracts",
    "/connectors",
    "/connectors/new",
    "/connectors/new?kind=slack",
    "/settings",
]


def test_every_page_renders_for_admin_with_an_empty_inventory(web: Web) -> None:
    client = web.client("admin")
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 200, (url, response.text[-2000:])
        assert 'class="empty"' in response.text or url.startswith(("/settings", "/connectors/new"))


def test_every_page_renders_with_data(web: Web) -> None:
    ids = seed_inventory(web.db.engine)
    client = web.client("admin")
    extra = [
        f"/applications/{ids['slack']}",
        f"/people/{ids['person']}",
        "/connectors/slack-main",
        "/applications/1?show=leavers",
        "/findings.csv",
    ]
    for url in PAGES + extra:
        response = client.get(url)
        assert response.status_code == 200, (url, response.text[-2000:])


def test_application_page_shows_seats_without_activity_data_apart(web: Web) -> None:
    ids = seed_inventory(web.db.engine)
    client = web.client("admin")
    assert "unknown</span>" not in client.get(f"/applications/{ids['slack']}").text
    with Session(web.db.engine) as s:
        s.exec(update(Account).values(activity_known=False))  # type: ignore[call-overload]
        s.commit()
    cache_of(web.app.state).clear()  # changed behind the app's back: no sync run says so
    page = client.get(f"/applications/{ids['slack']}").text
    assert re.search(r"\+ \d+ unknown</span>", page), page[-3000:]


def test_security_headers_and_no_inline_script(web: Web) -> None:
    seed_inventory(web.db.engine)
    response = web.client("admin").get("/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", response.text, flags=re.S)
    for attrs, _body in scripts:
        assert "src=" in attrs or 'type="application/json"' in attrs, attrs
    assert not re.search(r"\son[a-z]+=", response.text), "inline event handler"


def test_form_without_csrf_token_is_refused(web: Web) -> None:
    seed_inventory(web.db.engine)
    client = web.client("admin")
    response = client.post(
        "/findings/review", data={"action": "acknowledged", "keys": "unused_seat:U1:pro"}
    )
    assert response.status_code == 400 and "expired" in response.text


def test_dismissing_a_finding_lowers_the_savings_total(web: Web) -> None:
    seed_inventory(web.db.engine)
    client = web.client("asset_manager")
    page = client.get("/findings")
    assert "16.00 EUR" in page.text
    response = client.post(
        "/findings/review",
        data={
            "action": "dismissed",
            "keys": ["unused_seat:U1:pro"],
            "reason": "kept for audit",
            "csrf": csrf_of(page.text),
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "8.00 EUR" in response.text and "1 finding(s) dismissed" in response.text
    with Session(web.db.engine) as s:
        finding = s.exec(select(Finding).where(Finding.key == "unused_seat:U1:pro")).one()
        assert finding.status == "dismissed" and finding.status_reason == "kept for audit"


def test_dismissing_without_a_reason_is_refused_with_a_message(web: Web) -> None:
    seed_inventory(web.db.engine)
    client = web.client("asset_manager")
    page = client.get("/findings")
    response = client.post(
        "/findings/review",
        data={"action": "dismissed", "keys": ["unused_seat:U1:pro"], "csrf": csrf_of(page.text)},
        headers={"HX-Request": "true"},
    )
    assert "a reason is required" in response.text


def test_findings_csv_export_lists_the_filtered_findings(web: Web) -> None:
    seed_inventory(web.db.engine)
    response = web.client("procurement").get("/findings.csv?kind=leaver_seat")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["key"] for r in rows] == ["leaver_seat:U2:pro"]


def test_bulk_review_api_matches_the_page(web: Web) -> None:
    seed_inventory(web.db.engine)
    client = web.client(None)
    client.headers["Authorization"] = f"Bearer {web.tokens['asset_manager']}"
    response = client.post(
        "/api/v1/findings/bulk",
        json={"keys": ["unused_seat:U1:pro", "nope"], "status": "acknowledged"},
    )
    assert response.status_code == 200
    assert response.json()["changed"] == ["unused_seat:U1:pro"]
    assert "nope" in response.json()["refused"]


def test_api_changes_with_the_session_cookie_need_the_csrf_token(web: Web) -> None:
    seed_inventory(web.db.engine)
    client = web.client("asset_manager")
    body = {"keys": ["unused_seat:U1:pro"], "status": "acknowledged"}
    refused = client.post("/api/v1/findings/bulk", json=body)
    assert refused.status_code == 400 and "X-CSRF-Token" in refused.json()["detail"]
    token = csrf_of(client.get("/findings").text)
    done = client.post("/api/v1/findings/bulk", json=body, headers={"X-CSRF-Token": token})
    assert done.status_code == 200 and done.json()["changed"] == ["unused_seat:U1:pro"]


def test_connector_form_is_generated_from_the_config_model_and_secrets_are_write_only(
    web: Web,
) -> None:
    client = web.client("asset_manager")
    form = client.get("/connectors/new?kind=slack").text
    assert 'name="token" type="password"' in form and 'name="api_url"' in form
    response = client.post(
        "/connectors/new?kind=slack",
        data={
            "csrf": csrf_of(form),
            "name": "slack",
            "token": "xoxp-secret-value",
            "api_url": "https://127.0.0.1:1/api/",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "xoxp-secret-value" not in response.text
    with Session(web.db.engine) as s:
        row = s.exec(select(ConnectorConfig)).one()
        assert "xoxp-secret-value" not in str(row.config) and row.secrets


def test_connector_form_names_the_missing_field(web: Web) -> None:
    client = web.client("asset_manager")
    form = client.get("/connectors/new?kind=slack").text
    response = client.post(
        "/connectors/new?kind=slack", data={"csrf": csrf_of(form), "name": "slack"}
    )
    assert response.status_code == 422 and "token" in response.text


def test_refused_contract_file_lists_row_errors_on_the_page(web: Web) -> None:
    client = web.client("procurement")
    page = client.get("/contracts")
    bad = b"vendor,application,contract_number,start_date,currency\nAcme,Acme,C-1,not-a-date,EUR\n"
    response = client.post(
        "/contracts/upload",
        data={"csrf": csrf_of(page.text)},
        files={"file": ("bad.csv", bad, "text/csv")},
    )
    assert response.status_code == 422
    assert "bad.csv was refused" in response.text and 'id="row-errors"' in response.text


def test_imported_contract_file_is_named_and_its_warnings_shown_on_the_page(web: Web) -> None:
    client = web.client("procurement")
    page = client.get("/contracts")
    data = (
        b"vendor,application,contract_number,product,start_date,unit_price,currency\n"
        b"Acme,Acme,C-1,ACME-PRO,2026-01-01,10,EUR\n"
    )
    response = client.post(
        "/contracts/upload",
        data={"csrf": csrf_of(page.text)},
        files={"file": ("Contracts Q1 & Q2 #2.csv", data, "text/csv")},
    )
    assert response.status_code == 200 and response.url.path == "/contracts"
    assert "Imported Contracts Q1 &amp; Q2 #2.csv (created: 1, updated: 0, unchanged: 0)" in (
        response.text
    )
    assert (
        "row 2: product &#39;ACME-PRO&#39; matches no inventory product yet; the contract "
        "keeps the text and links to it after a sync finds it"
    ) in response.text


def test_new_api_token_is_shown_once(web: Web) -> None:
    client = web.client("admin")
    page = client.get("/settings")
    response = client.post(
        "/settings/tokens",
        data={"csrf": csrf_of(page.text), "user_id": str(web.user_ids["viewer"]), "name": "ci"},
    )
    token = re.search(r'id="new-token">(sw_[^<]+)<', response.text)
    assert token
    assert token.group(1) not in client.get("/settings").text
    api = web.client(None)
    api.headers["Authorization"] = f"Bearer {token.group(1)}"
    assert api.get("/api/v1/me").json()["role"] == "viewer"


def test_settings_refuses_an_unknown_role_and_names_it(web: Web) -> None:
    client = web.client("admin")
    page = client.get("/settings")
    response = client.post(
        f"/settings/users/{web.user_ids['viewer']}",
        data={"csrf": csrf_of(page.text), "role": "emperor", "active": "on"},
    )
    assert response.status_code == 422
    assert "unknown role &#39;emperor&#39;" in response.text


def test_vendor_assets_are_served_locally(web: Web) -> None:
    client = web.client(None)
    assert client.get("/static/vendor/plotly.min.js").status_code == 200
    assert client.get("/static/app.js").status_code == 200


def test_api_docs_load_swagger_ui_from_this_server(web: Web) -> None:
    """The /docs page works offline: no CDN, its script and style come from here."""
    client = web.client(None)
    page = client.get("/docs").text
    assert "cdn.jsdelivr" not in page and "tiangolo" not in page
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert f"/static/vendor/{asset}" in page
        answer = client.get(f"/static/vendor/{asset}")
        assert answer.status_code == 200 and len(answer.content) > 10_000, asset
    css = client.get("/static/vendor/swagger-ui.css")
    assert css.headers["content-type"].startswith("text/css")


def test_finance_user_sees_no_connectors_link(web: Web) -> None:
    text = web.client("finance").get("/").text
    assert 'href="/connectors"' not in text and 'href="/spend"' in text


def test_settings_lists_recorded_job_runs(web: Web) -> None:
    from app.core.settings import Settings
    from app.jobs import run_recorded

    settings = Settings(secret_key="k" * 40, environment="test", _env_file=None)  # type: ignore[call-arg]

    def failing(_engine: object, _settings: object) -> str:
        raise RuntimeError("SMTP relay refused the login")

    run_recorded(web.db.engine, settings, "digest", failing)
    run_recorded(web.db.engine, settings, "alerts", lambda _e, _s: "3 alerts queued")
    text = web.client("admin").get("/settings").text
    assert "Scheduled jobs" in text
    assert "3 alerts queued" in text
    assert "RuntimeError: SMTP relay refused the login" in text


def test_an_admin_ends_a_users_logins_from_settings_and_the_api(web: Web) -> None:
    viewer, other = web.client("viewer"), web.client("viewer")
    assert viewer.get("/api/v1/me").status_code == 200
    admin = web.client("admin")
    page = admin.get("/settings")
    assert "Open logins" in page.text
    assert 'aria-label="End the open logins of viewer@example.com"' in page.text
    # Nobody else may: a form post from a viewer is refused.
    own = csrf_of(viewer.get("/").text)
    refused = viewer.post(f"/settings/users/{web.user_ids['admin']}/logout", data={"csrf": own})
    assert refused.status_code == 403 and "Forbidden" in refused.text
    ended = admin.post(
        f"/settings/users/{web.user_ids['viewer']}/logout",
        data={"csrf": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert ended.status_code == 303 and "Logins+ended" in ended.headers["location"]
    assert viewer.get("/api/v1/me").status_code == 401
    assert other.get("/api/v1/me").status_code == 401
    assert admin.get("/api/v1/me").status_code == 200
    web.client("finance")
    api = web.client(None)
    api.headers["Authorization"] = f"Bearer {web.tokens['admin']}"
    answer = api.post(f"/api/v1/admin/users/{web.user_ids['finance']}/logout")
    assert answer.json() == {"ended": 1}
    assert api.post("/api/v1/admin/users/999999/logout").status_code == 404


def test_monthly_activity_is_drawn_only_from_usage_reports(web: Web) -> None:
    ids = seed_inventory(web.db.engine)
    client = web.client("admin")
    page = client.get(f"/applications/{ids['slack']}").text
    assert "No monthly activity" in page and "Accounts active" not in page
    with Session(web.db.engine) as s:
        account = s.exec(select(Account).where(Account.email == "p0@x.test")).first()
        product = s.exec(select(Product).where(Product.application_id == ids["slack"])).first()
        assert account is not None and product is not None
        assert account.id is not None and product.id is not None
        day = date.today()
        s.add(UsageDaily(account_id=account.id, product_id=product.id, day=day, activity={"m": 3}))
        s.commit()
    cache_of(web.app.state).clear()  # changed behind the app's back: no sync run says so
    page = client.get(f"/applications/{ids['slack']}").text
    assert "No monthly activity" not in page and "Accounts active" in page


def _many_findings(web: Web, count: int) -> list[str]:
    ids = seed_inventory(web.db.engine)
    keys = [f"unused_seat:bulk{i:03}:pro" for i in range(count)]
    with Session(web.db.engine) as s:
        for key in keys:
            s.add(Finding(key=key, kind="unused_seat", application_id=ids["slack"], subject=key))
        s.commit()
    return keys


def _review(client: TestClient, page: str, offset: int, keys: list[str]) -> Response:
    return client.post(
        "/findings/review",
        data={"action": "acknowledged", "keys": keys, "csrf": csrf_of(page), "status": "open",
              "offset": str(offset)},
        headers={"HX-Request": "true"},
    )  # fmt: skip


def test_a_bulk_review_keeps_the_page_it_was_made_on(web: Web) -> None:
    _many_findings(web, 120)  # with the seed's: 122 open, pages at 0, 50 and 100
    client = web.client("asset_manager")
    page = client.get("/findings?status=open&offset=50").text
    shown = re.findall(r'name="keys" value="([^"]+)"', page)
    assert len(shown) == 50
    answer = _review(client, page, 50, shown[:2])
    assert answer.headers["HX-Push-Url"] == "/findings?status=open&offset=50"
    after = re.findall(r'name="keys" value="([^"]+)"', answer.text)
    assert after[:48] == shown[2:]  # the same page, less what was acknowledged


def test_a_bulk_review_that_empties_the_last_page_shows_the_new_last_one(web: Web) -> None:
    _many_findings(web, 100)  # with the seed's: 102 open; the last page holds 2
    client = web.client("asset_manager")
    page = client.get("/findings?status=open&offset=100").text
    shown = re.findall(r'name="keys" value="([^"]+)"', page)
    assert len(shown) == 2
    answer = _review(client, page, 100, shown)
    assert answer.headers["HX-Push-Url"].endswith("&offset=50")
    assert len(re.findall(r'name="keys" value="([^"]+)"', answer.text)) == 50
    first = re.findall(r'name="keys" value="([^"]+)"', answer.text)[:1]
    plain = client.post(
        "/findings/review",
        data={"action": "acknowledged", "keys": first, "csrf": csrf_of(page), "status": "open",
              "offset": "50"},
        follow_redirects=False,
    )  # fmt: skip
    assert plain.status_code == 303 and "&offset=50&message=1+finding" in plain.headers["location"]


def test_savings_in_several_currencies_are_also_added_up_in_the_reporting_one(web: Web) -> None:
    ids = seed_inventory(web.db.engine)  # open findings worth 16.00 EUR a month
    with Session(web.db.engine) as s:
        for key, amount, currency in (("u:usd", "10.00", "USD"), ("u:gbp", "5.00", "GBP")):
            s.add(
                Finding(
                    key=key, kind="unused_seat", application_id=ids["slack"], subject=key,
                    monthly_savings=Decimal(amount), currency=currency,
                )
            )  # fmt: skip
        today = datetime.now(UTC).date()
        s.add(FxRate(base="USD", quote="EUR", day=today, rate=Decimal("0.9")))
        s.commit()
    page = web.client("asset_manager").get("/findings?status=open").text
    assert "16.00 EUR · 5.00 GBP · 10.00 USD" in page
    assert re.search(
        r'in all about <strong id="savings-in-one">25.00 EUR</strong> per month\s+'
        r"\(300.00 EUR a year; leaving out GBP: no rate to EUR\)",
        page,
    ), page
