"""The findings page filtered to one product: where a renewal e-mail links."""

from __future__ import annotations

import re

from sqlmodel import Session, select

from app.findings.models import Finding
from app.inventory.models import Product
from tests.ui.conftest import Web, csrf_of
from tests.ui.seed import seed_inventory


def _keys(html: str) -> list[str]:
    return sorted(re.findall(r'name="keys" value="([^"]+)"', html))


def test_findings_filtered_to_a_product_leave_out_its_applications_other_products(
    web: Web,
) -> None:
    ids = seed_inventory(web.db.engine)  # two open findings on Slack Pro
    with Session(web.db.engine) as s:
        pro = s.exec(select(Product).where(Product.name == "Slack Pro")).one()
        other = Product(application_id=ids["slack"], external_id="ent", name="Slack Enterprise")
        s.add(other)
        s.flush()
        s.add(
            Finding(
                key="unused_seat:U9:ent", kind="unused_seat", application_id=ids["slack"],
                product_id=other.id, subject="p9@x.test",
            )
        )  # fmt: skip
        s.commit()
        pro_id = pro.id
    client = web.client("asset_manager")
    everything = client.get(f"/findings?application={ids['slack']}").text
    assert len(_keys(everything)) == 3
    page = client.get(f"/findings?product={pro_id}&status=open").text
    assert _keys(page) == ["leaver_seat:U2:pro", "unused_seat:U1:pro"]
    assert "Product: Slack Pro" in page
    assert f'<input type="hidden" name="product" value="{pro_id}">' in page
    assert 'href="/findings?status=open">all products</a>' in page
    csv = client.get(f"/findings.csv?product={pro_id}").text
    assert "U1" in csv and "p9@x.test" not in csv
    # A review made on the filtered page comes back to it.
    answer = client.post(
        "/findings/review",
        data={"action": "acknowledged", "keys": ["unused_seat:U1:pro"], "csrf": csrf_of(page),
              "status": "open", "product": str(pro_id)},
        headers={"HX-Request": "true"},
    )  # fmt: skip
    assert answer.headers["HX-Push-Url"] == f"/findings?status=open&product={pro_id}"
    assert _keys(answer.text) == ["leaver_seat:U2:pro"]


def test_a_product_filter_that_is_no_id_is_refused_by_name(web: Web) -> None:
    seed_inventory(web.db.engine)
    answer = web.client("asset_manager").get("/findings?product=slack")
    assert answer.status_code in (400, 422)
    assert "product must be a product id" in answer.text
