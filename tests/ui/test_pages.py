"""Pages render for the roles allowed, with useful empty states, CSRF on every form."""

from __future__ import annotations

import re
from datetime import date

from sqlmodel import Session, select, update

from app.inventory.models import Product
from app.inventory.seat_counts import cache_of
from app.people.models import Account
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


def test_api_changes_with_the_session_cookie_need_the_csrf_token(web: Web) -> None:
    seed_inventory(web.db.engine)
    client = web.client("asset_manager")
    body = {"keys": ["unused_seat:U1:pro"], "status": "acknowledged"}
    refused = client.post("/api/v1/findings/bulk", json=body)
    assert refused.status_code == 400 and "X-CSRF-Token" in refused.json()["detail"]
    token = csrf_of(client.get("/findings").text)
    done = client.post("/api/v1/findings/bulk", json=body, headers={"X-CSRF-Token": token})
    assert done.status_code == 200 and done.json()["changed"] == ["unused_seat:U1:pro"]


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
