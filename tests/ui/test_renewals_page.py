"""The renewals page: each contract row's own figures (as its e-mail shows them), the row form."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from html import unescape
from urllib.parse import urlencode

from httpx import Response
from sqlmodel import Session, select

from app.inventory.models import Product, Subscription
from app.notify.figures import contract_figures
from app.renewals.models import RenewalTask
from app.sync.models import ConnectorConfig, SyncRun
from tests.notify.seed import seed_contract, seed_seats
from tests.ui.conftest import Web, csrf_of

TODAY = date.today()  # the page reads the clock, so the contracts are dated from it


def _rows(html: str) -> dict[int, str]:
    """Each renewal row's text by contract id, tags dropped and spaces collapsed."""
    rows = re.findall(r'<tr id="renewal-(\d+)">(.*?)</tr>', html, flags=re.S)
    return {int(i): " ".join(unescape(re.sub(r"<[^>]+>", " ", b)).split()) for i, b in rows}


def test_each_contract_row_shows_its_own_seats_and_cost_as_its_renewal_email_does(
    web: Web,
) -> None:
    e5 = seed_contract(
        web.db.engine, contract_number="MS-E5", app_name="Microsoft 365", vendor_name="Microsoft",
        renewal_date=TODAY + timedelta(days=40), seats=20, unit_price=Decimal("684.00"),
    )  # fmt: skip
    e3 = seed_contract(
        web.db.engine, contract_number="MS-E3", app_name="Microsoft 365", vendor_name="Microsoft",
        renewal_date=TODAY + timedelta(days=50), seats=50, unit_price=Decimal("396.00"),
    )  # fmt: skip
    assert e5.application_id == e3.application_id  # one application, two contracts
    seed_seats(web.db.engine, product_id=e5.product_id, as_of=TODAY, active=9, idle=3, prefix="a")
    seed_seats(web.db.engine, product_id=e3.product_id, as_of=TODAY, active=30, idle=5, prefix="b")
    rows = _rows(web.client("procurement").get("/renewals").text)
    # 20 seats * 684 / 9 active; 9 + 10 % = 9.9 -> 10.
    assert "20 / 12 / 9 1,520.00 EUR 10 " in rows[e5.subscription_id]
    # 50 seats * 396 / 30 active; 30 + 10 % = 33.
    assert "50 / 35 / 30 660.00 EUR 33 " in rows[e3.subscription_id]
    with Session(web.db.engine) as s:  # the renewal e-mail's own figures, the same ones
        for seeded in (e5, e3):
            sub = s.get(Subscription, seeded.subscription_id)
            assert sub is not None
            f = contract_figures(session=s, subscription=sub, as_of=TODAY)
            seats = f"{f.seats_bought} / {f.seats_assigned} / {f.seats_active}"
            shown = f"{seats} {f.cost_per_active_user:,.2f} EUR {f.recommended_seats} "
            assert shown in rows[seeded.subscription_id]


def test_a_contract_sharing_its_product_says_the_seat_figures_are_the_products(
    web: Web,
) -> None:
    first = seed_contract(
        web.db.engine, contract_number="GW-STD", app_name="Google Workspace",
        vendor_name="Google", renewal_date=TODAY + timedelta(days=30), seats=4,
    )  # fmt: skip
    with Session(web.db.engine) as s:
        other = Subscription(
            vendor_id=first.vendor_id, application_id=first.application_id,
            product_id=first.product_id, contract_number="GW-STD-ADDON",
            start_date=TODAY - timedelta(days=10), renewal_date=TODAY + timedelta(days=200),
            billing_cycle="annual", seats=3, currency="EUR",
        )  # fmt: skip
        s.add(other)
        s.commit()
        other_id = other.id
    seed_seats(web.db.engine, product_id=first.product_id, as_of=TODAY, active=6, idle=0)
    rows = _rows(web.client("procurement").get("/renewals").text)
    # 6 active on 4 bought: the product's seats, which the two contracts buy together.
    assert "4 / 6 / 6" in rows[first.subscription_id]
    assert "shared with GW-STD-ADDON (3): 7 seats bought together" in rows[first.subscription_id]
    assert other_id is not None and "shared with GW-STD (4)" in rows[other_id]
    # One recommendation for the product (6 + 10 % -> 7, the 7 bought together), shared
    # 4:3; no cost per active user while one contract's cost is unknown.
    assert (
        "— no annual cost known for GW-STD-ADDON 4 share of 7 for the product"
        in rows[first.subscription_id]
    )
    assert "3 share of 7 for the product" in rows[other_id]


def _task(web: Web, subscription_id: int) -> RenewalTask:
    with Session(web.db.engine) as s:
        task = s.exec(select(RenewalTask).where(RenewalTask.subscription_id == subscription_id))
        return task.one()


def _save(web: Web, contract: str, **fields: str) -> Response:
    client = web.client("procurement")
    page = client.get("/renewals", params={"month": fields.get("month", "")}).text
    form = {"csrf": csrf_of(page), "vendor": "Figma Inc", "state": "open", "decision": ""}
    return client.post(f"/renewals/{contract}", data={**form, **fields}, follow_redirects=False)


def test_decided_without_a_decision_comes_back_on_its_row_with_the_input_kept(web: Web) -> None:
    seeded = seed_contract(web.db.engine, renewal_date=TODAY + timedelta(days=40))
    response = _save(web, "C-100", state="decided", owner_email="buyer@example.com")
    assert response.status_code == 422
    page = response.text
    row = re.search(rf'<tr id="renewal-{seeded.subscription_id}">(.*?)</tr>', page, re.S)
    assert row is not None
    message = "A decided renewal needs a decision: choose renew, downsize or cancel."
    assert 'class="error" id="e-' in row.group(1) and message in row.group(1)
    assert "--decision" not in page and "Invalid input" not in page
    assert re.search(r'name="decision" aria-invalid="true"[^>]*autofocus', row.group(1))
    # What the user typed and chose is still there, nothing was saved.
    assert 'value="buyer@example.com"' in row.group(1)
    assert "<option selected>decided</option>" in row.group(1)
    task = _task(web, seeded.subscription_id)
    assert (task.state, task.owner_email) == ("open", "owner@example.com")


def test_an_invalid_owner_is_refused_at_the_owner_field(web: Web) -> None:
    seeded = seed_contract(web.db.engine, renewal_date=TODAY + timedelta(days=40))
    response = _save(web, "C-100", state="negotiating", owner_email="not an address")
    assert response.status_code == 422
    row = _rows(response.text)[seeded.subscription_id]
    assert "Owner e-mail: 'not an address' is not an e-mail address" in row
    assert re.search(r'value="not an address"[^>]*aria-invalid="true"', response.text)
    assert _task(web, seeded.subscription_id).state == "open"


def test_a_blank_owner_clears_it_as_the_cli_and_api_do(web: Web) -> None:
    seeded = seed_contract(web.db.engine, renewal_date=TODAY + timedelta(days=40))
    web.client("procurement").get("/renewals")  # opens the task, owned by the contract's owner
    assert _task(web, seeded.subscription_id).owner_email == "owner@example.com"
    response = _save(web, "C-100", state="open", owner_email="")
    assert response.status_code == 303
    assert _task(web, seeded.subscription_id).owner_email is None
    # A post that leaves the owner out (not the row's form) leaves it as it is.
    _save(web, "C-100", state="open", owner_email="ann@example.com")
    _save(web, "C-100", state="negotiating")
    task = _task(web, seeded.subscription_id)
    assert (task.state, task.owner_email) == ("negotiating", "ann@example.com")


def test_a_saved_row_leads_back_to_the_month_shown_and_the_row(web: Web) -> None:
    seeded = seed_contract(web.db.engine, renewal_date=TODAY + timedelta(days=100))
    shown = (TODAY + timedelta(days=100)).strftime("%Y-%m")
    response = _save(web, "C-100", state="decided", decision="renew", month=shown)
    assert response.status_code == 303
    query = urlencode({"month": shown, "message": "Saved C-100."})
    location = response.headers["location"]
    assert location.startswith(f"/renewals?{query}&sig=")
    assert location.endswith(f"#renewal-{seeded.subscription_id}")
    assert "Saved C-100." in web.client("procurement").get(location.split("#")[0]).text
    task = _task(web, seeded.subscription_id)
    assert (task.state, task.decision) == ("decided", "renew")
    # The month the user was looking at, even when the renewal falls in another.
    other = _save(web, "C-100", state="negotiating", month="2026-01")
    assert other.headers["location"].startswith("/renewals?month=2026-01&")


def test_a_row_without_usage_data_says_so_and_rows_say_when_their_inventory_was_synced(
    web: Web,
) -> None:
    zoom = seed_contract(
        web.db.engine, contract_number="ZM-1", app_name="Zoom", vendor_name="Zoom",
        renewal_date=TODAY + timedelta(days=40), seats=40,
    )  # fmt: skip
    slack = seed_contract(
        web.db.engine, contract_number="SLK-1", app_name="Slack", vendor_name="Slack",
        renewal_date=TODAY + timedelta(days=50), seats=5,
    )  # fmt: skip
    synced = datetime.now(UTC) - timedelta(days=9)
    with Session(web.db.engine) as s:
        s.get_one(Subscription, zoom.subscription_id).product_id = None  # no connector
        connector = ConnectorConfig(kind="slack", name="slack-main")
        s.add(connector)
        s.flush()
        s.get_one(Product, slack.product_id).connector_id = connector.id
        s.add(
            SyncRun(
                connector_id=connector.id or 0, started_at=synced, finished_at=synced,
                status="succeeded",
            )
        )  # fmt: skip
        s.commit()
    rows = _rows(web.client("procurement").get("/renewals").text)
    assert (
        "40 / — / — no usage data (no connector reports this product)" in rows[zoom.subscription_id]
    )
    assert "synced" not in rows[zoom.subscription_id]
    assert f"synced {synced:%Y-%m-%d %H:%M} UTC (slack-main)" in rows[slack.subscription_id]
    assert "synced 9 days ago" in rows[slack.subscription_id]
