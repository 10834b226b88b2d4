"""Applying contract rows to the database: create, idempotent re-import, update, linking."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlmodel import Session, select

from app.inventory.contract_rows import parse_contracts
from app.inventory.contracts import import_contracts, list_subscriptions, relink_contracts
from app.inventory.models import Product, Subscription
from app.inventory.service import effective_seats_purchased, resolve_application
from tests.inventory.contract_files import contract, csv_bytes


def _import(session: Session, *rows: dict[str, str]) -> tuple[int, int, int, list[str]]:
    result = import_contracts(session=session, rows=parse_contracts(csv_bytes(list(rows))))
    return result.created, result.updated, result.unchanged, result.warnings


def _product(session: Session, app_name: str, **fields: object) -> Product:
    application = resolve_application(session=session, name=app_name)
    assert application.id is not None
    product = Product(application_id=application.id, **fields)  # type: ignore[arg-type]
    session.add(product)
    session.flush()
    return product


def test_import_creates_contracts_with_vendor_and_application(session: Session) -> None:
    assert _import(session, contract(), contract(contract_number="C-2")) == (2, 0, 0, [])
    items, total = list_subscriptions(session=session)
    assert total == 2
    assert {(i.vendor, i.application) for i in items} == {("Atlassian", "Jira")}


def test_reimporting_the_same_file_changes_nothing(session: Session) -> None:
    _import(session, contract())
    before = session.exec(select(Subscription)).one().updated_at
    assert _import(session, contract()) == (0, 0, 1, [])
    session.expire_all()
    after = session.exec(select(Subscription)).one()
    assert after.updated_at == before
    assert len(session.exec(select(Subscription)).all()) == 1


def test_changed_row_updates_its_contract(session: Session) -> None:
    _import(session, contract())
    before = session.exec(select(Subscription)).one().updated_at
    assert _import(session, contract(seats="60", total_cost="7200.00")) == (0, 1, 0, [])
    session.expire_all()
    updated = session.exec(select(Subscription)).one()
    assert updated.seats == 60 and updated.total_cost == Decimal("7200.00")
    assert updated.updated_at >= before


def test_vendor_name_matches_case_insensitively_on_reimport(session: Session) -> None:
    _import(session, contract())
    assert _import(session, contract(vendor="ATLASSIAN")) == (0, 0, 1, [])


def test_product_linked_by_sku_part_number_preferring_same_application(session: Session) -> None:
    other = _product(session, "Power BI", external_id="x-1", sku="SPE_E3", name="Other")
    mine = _product(
        session, "Microsoft 365", external_id="05e9a617", sku="SPE_E3", name="Microsoft 365 E3"
    )
    _import(session, contract(vendor="Microsoft", application="Microsoft 365", product="spe_e3"))
    sub = session.exec(select(Subscription)).one()
    assert sub.product_id == mine.id != other.id
    assert sub.product_ref == "spe_e3"


def test_product_linked_by_external_id_or_name(session: Session) -> None:
    slack = _product(session, "Slack", external_id="T0ABC", name="Slack Contoso")
    google = _product(
        session,
        "Google Workspace",
        external_id="Google-Apps/1010020028",
        sku="1010020028",
        name="Google Workspace Business Standard",
    )
    _import(
        session,
        contract(
            contract_number="S-1", vendor="Slack Technologies", application="Slack", product="T0ABC"
        ),
        contract(
            contract_number="G-1",
            vendor="Google",
            application="Google Workspace",
            product="google workspace business standard",
        ),
    )
    by_number = {s.contract_number: s for s in session.exec(select(Subscription))}
    assert by_number["S-1"].product_id == slack.id
    assert by_number["G-1"].product_id == google.id


def test_unknown_product_kept_as_text_then_relinked_after_sync(session: Session) -> None:
    *_, warnings = _import(
        session, contract(vendor="Microsoft", application="Microsoft 365", product="SPE_E5")
    )
    assert warnings == [
        "row 2: product 'SPE_E5' matches no inventory product yet; the contract keeps the "
        "text and links to it after a sync finds it"
    ]
    sub = session.exec(select(Subscription)).one()
    assert sub.product_id is None and sub.product_ref == "SPE_E5"
    product = _product(session, "Microsoft 365", external_id="06ebc4ee", sku="SPE_E5", name="E5")
    assert relink_contracts(session=session) == 1
    assert session.exec(select(Subscription)).one().product_id == product.id
    assert relink_contracts(session=session) == 0


def test_contract_seats_become_seats_purchased_when_vendor_reports_none(session: Session) -> None:
    product = _product(session, "Slack", external_id="T0XYZ", name="Slack")
    _import(
        session,
        contract(vendor="Slack Technologies", application="Slack", product="T0XYZ", seats="80"),
    )
    assert effective_seats_purchased(session=session, product=product, today=date(2026, 6, 1)) == 80


def test_listing_shows_notice_deadline_and_money_as_decimal_strings(session: Session) -> None:
    _import(
        session,
        contract(renewal_date="2027-01-01", notice_days="45", unit_price="9.5", total_cost=""),
    )
    (item,) = list_subscriptions(session=session)[0]
    assert item.notice_deadline == date(2026, 11, 17)
    assert item.unit_price == "9.50" and item.total_cost is None
    assert item.model_dump(mode="json")["renewal_date"] == "2027-01-01"


def test_file_without_a_column_leaves_that_value_of_stored_contracts_alone(
    session: Session,
) -> None:
    _import(session, contract(product="JIRA-CLOUD", notes="Price fixed until 2028"))
    # Procurement's seat update: the key, the required columns, seats and the price.
    update = ["contract_number", "vendor", "application", "start_date", "currency"]
    update += ["seats", "unit_price"]
    seats_only = {c: v for c, v in contract(seats="65").items() if c in update}
    assert _import(session, seats_only) == (0, 1, 0, [])
    session.expire_all()
    stored = session.exec(select(Subscription)).one()
    assert stored.seats == 65
    assert stored.renewal_date == date(2027, 1, 1) and stored.end_date == date(2026, 12, 31)
    assert stored.auto_renew is True and stored.notice_days == 30
    assert stored.total_cost == Decimal("6000.00") and stored.owner_email == "owner@acme.example"
    assert stored.product_ref == "JIRA-CLOUD" and stored.notes == "Price fixed until 2028"
    assert stored.cost_centre == "CC-1" and stored.department == "Engineering"
    # The same file again changes nothing; an empty cell in a column it has still clears.
    assert _import(session, seats_only) == (0, 0, 1, [])
    assert _import(session, {**seats_only, "notes": ""})[:3] == (0, 1, 0)
    session.expire_all()
    assert session.exec(select(Subscription)).one().notes is None


def test_notes_keep_their_line_breaks(session: Session) -> None:
    # A notes cell written with Alt+Enter in Excel reaches the CSV as a quoted newline.
    notes = "Price fixed until 2028\r\n  Contact:  jane@acme.example \r\n"
    _import(session, contract(notes=notes))
    stored = session.exec(select(Subscription)).one()
    assert stored.notes == "Price fixed until 2028\nContact: jane@acme.example"
    assert _import(session, contract(notes=notes))[:3] == (0, 0, 1)
