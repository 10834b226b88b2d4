"""Frames built from the database: exclusions, identity-provider state, seats, catalogue."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlmodel import Session

from analytics.frames import Frames
from app.findings import catalog_service
from app.findings.frames_loader import load_frames
from tests.findings.company import E3_SKU, TEAMS_FREE_SKU
from tests.findings.factories import (
    TODAY,
    create_account,
    create_application,
    create_assignment,
    create_connector,
    create_person,
    create_product,
    create_subscription,
    days_ago,
)


def _frames(session: Session) -> Frames:
    catalog = catalog_service.effective_catalog(session=session)
    return load_frames(session=session, today=TODAY, catalog=catalog)


def test_idp_status_follows_identity_provider_accounts(session: Session) -> None:
    idp = create_connector(session, config={"identity_provider": True})
    other = create_connector(session, kind="slack")
    active, suspended, removed, outside = (create_person(session) for _ in range(4))
    create_account(session, connector_id=idp.id, person_id=active.id)
    create_account(session, connector_id=idp.id, person_id=suspended.id, status="suspended")
    create_account(session, connector_id=idp.id, person_id=removed.id, removed_at=days_ago(2))
    create_account(session, connector_id=other.id, person_id=outside.id, status="deleted")
    persons = _frames(session).persons.set_index("person_id")["idp_status"]
    assert persons[active.id] == "active" and persons[suspended.id] == "suspended"
    assert persons[removed.id] == "deleted" and persons[outside.id] is None


def test_removed_accounts_assignments_and_products_are_left_out(session: Session) -> None:
    product = create_product(session)
    gone_product = create_product(session, removed_at=days_ago(1))
    kept = create_account(session)
    gone = create_account(session, removed_at=days_ago(1))
    create_assignment(session, kept, product)
    create_assignment(session, kept, gone_product)
    create_assignment(session, gone, product)
    dropped = create_account(session)
    create_assignment(session, dropped, product, removed_at=days_ago(1))
    frames = _frames(session)
    assert frames.assignments[["account_id", "product_id"]].values.tolist() == [
        [kept.id, product.id]
    ]
    assert gone.id not in set(frames.accounts["account_id"])
    assert gone_product.id not in set(frames.products["product_id"])


def test_seats_purchased_is_the_vendor_figure_else_the_pricing_contract(session: Session) -> None:
    vendor_counted = create_product(session, seats_purchased=7)
    create_subscription(session, product_id=vendor_counted.id, seats=50)
    contract_counted = create_product(session)
    create_subscription(
        session,
        product_id=contract_counted.id,
        seats=10,
        start_date=TODAY - timedelta(days=400),
        end_date=TODAY + timedelta(days=10),
    )
    create_subscription(session, product_id=contract_counted.id, seats=12)  # later start wins
    create_subscription(
        session,
        product_id=contract_counted.id,
        seats=99,
        start_date=TODAY - timedelta(days=800),
        end_date=TODAY - timedelta(days=400),
    )
    unknown = create_product(session)
    frames = _frames(session)
    seats = frames.products.set_index("product_id")["seats_purchased"]
    assert seats[vendor_counted.id] == 7 and seats[contract_counted.id] == 12
    assert seats[unknown.id] is None or str(seats[unknown.id]) == "<NA>"


def test_catalogue_gives_list_price_free_flag_and_capabilities_of_skus(session: Session) -> None:
    m365 = create_connector(session, kind="microsoft365")
    sheet = create_connector(session, kind="spreadsheet")
    e3 = create_product(session, connector_id=m365.id, external_id=E3_SKU.upper())
    free = create_product(session, connector_id=m365.id, external_id=TEAMS_FREE_SKU)
    by_part = create_product(session, connector_id=sheet.id, external_id="x", sku="ENTERPRISEPACK")
    own = create_product(
        session,
        connector_id=m365.id,
        external_id=E3_SKU,
        list_price=Decimal("30"),
        list_price_currency="eur",
    )
    plain = create_product(session, connector_id=sheet.id)
    frames = _frames(session).products.set_index("product_id")
    assert frames.loc[e3.id, "list_price"] == Decimal("26")
    assert frames.loc[e3.id, "list_currency"] == "USD"
    assert "team_chat" in frames.loc[e3.id, "catalog_capabilities"].split("|")
    assert bool(frames.loc[free.id, "is_free"]) and not bool(frames.loc[e3.id, "is_free"])
    assert frames.loc[by_part.id, "list_price"] == Decimal("26")
    assert frames.loc[own.id, "list_price"] == Decimal("30")
    assert frames.loc[own.id, "list_currency"] == "EUR"
    assert frames.loc[plain.id, "list_price"] is None
    assert frames.loc[plain.id, "catalog_capabilities"] is None


def test_catalogue_corrections_change_application_capabilities(session: Session) -> None:
    app = create_application(session, name="Acme Chat", catalog_key="acme-chat")
    slack = create_application(session, name="Slack", catalog_key="slack")
    apps = _frames(session).applications.set_index("application_id")
    assert apps.loc[app.id, "capabilities"] is None
    assert apps.loc[slack.id, "capabilities"] == "team_chat"
    catalog_service.add_entry(
        session=session,
        key="acme-chat",
        name="Acme Chat",
        vendor="Acme",
        category="team_communication",
        capabilities=["team_chat", "video_meetings"],
        is_suite=True,
    )
    apps = _frames(session).applications.set_index("application_id")
    assert apps.loc[app.id, "capabilities"] == "team_chat|video_meetings"
    assert bool(apps.loc[app.id, "is_suite"]) and apps.loc[app.id, "category"] is not None
