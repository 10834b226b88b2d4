"""The products listing reads its page's contract seats at once, not product by product."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from app.inventory.service import inventory_products
from tests.findings.factories import (
    TODAY,
    create_connector,
    create_product,
    create_subscription,
)
from tests.statements import counted


def _products(session: Session, connector_id: int, count: int) -> None:
    """``count`` products without the vendor's seat figure, each priced by two contracts
    (the later one prices it), and one with the vendor's figure."""
    for i in range(count):
        product = create_product(session, connector_id=connector_id, name=f"P {i:03d}")
        for seats, days in ((10 + i, 300), (20 + i, 100)):
            create_subscription(session, product_id=product.id, seats=seats,
                                application_id=product.application_id,
                                start_date=TODAY - timedelta(days=days))  # fmt: skip
    create_product(session, connector_id=connector_id, name="Vendor counted", seats_purchased=7)


def test_the_products_page_sends_as_many_statements_for_20_products_as_for_2(
    session: Session,
) -> None:
    now = datetime(TODAY.year, TODAY.month, TODAY.day, 12, tzinfo=UTC)
    connector = create_connector(session)
    counts, pages = [], []
    for count in (2, 20):
        _products(session, int(connector.id or 0), count)
        with counted(session.get_bind().engine) as seen:  # type: ignore[union-attr]
            items, _ = inventory_products(session=session, today=TODAY, now=now, limit=1000)
        counts.append(len(seen))
        pages.append(items)
    assert counts[0] == counts[1]
    by_name = {i["name"]: i["seats_purchased"] for i in pages[1]}
    assert by_name["Vendor counted"] == 7
    assert [by_name[f"P {i:03d}"] for i in range(20)] == [20 + i for i in range(20)]
