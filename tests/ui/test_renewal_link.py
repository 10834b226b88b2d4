"""The link in a renewal alert e-mail (``/renewals/{subscription_id}``) lands on that contract."""

from __future__ import annotations

from urllib.parse import urljoin

from sqlmodel import Session, select

from app.inventory.models import Subscription
from tests.ui.conftest import Web
from tests.ui.seed import seed_inventory


def test_renewal_alert_link_opens_the_renewals_page_at_the_contract_row(web: Web) -> None:
    seed_inventory(web.db.engine)
    with Session(web.db.engine) as s:
        contract = s.exec(select(Subscription)).one()
    client = web.client("procurement")
    response = client.get(f"/renewals/{contract.id}", follow_redirects=False)
    assert response.status_code == 303
    # Relative, so a path prefix the browser reached Seatwise under is kept.
    location = response.headers["location"]
    assert location == f"../renewals?month=2027-01#renewal-{contract.id}"
    target = urljoin(str(response.request.url), location)
    assert target == f"http://testserver/renewals?month=2027-01#renewal-{contract.id}"
    page = client.get(target)
    assert page.status_code == 200
    assert f'id="renewal-{contract.id}"' in page.text and "SL-2026" in page.text


def test_renewal_link_to_an_unknown_contract_is_a_404_naming_it(web: Web) -> None:
    response = web.client("admin").get("/renewals/999999", follow_redirects=False)
    assert response.status_code == 404 and "999999" in response.text


def test_renewal_link_needs_a_login_and_a_renewals_role(web: Web) -> None:
    seed_inventory(web.db.engine)
    anonymous = web.client(None).get("/renewals/1", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    assert web.client("finance").get("/renewals/1", follow_redirects=False).status_code == 403
