"""Snapshot semantics and identity matching, fed with records directly."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from app.core.db import session_scope, utcnow
from app.people.models import Account, Assignment, Person, PersonAlias
from app.sync.apply import SnapshotApplier
from app.sync.models import ConnectorConfig
from connectors.base import AccountRecord, AliasRecord, AssignmentRecord, ProductRecord, Record
from connectors.microsoft365_users import unlisted_sku

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _connector(engine: Any, name: str, kind: str, idp: bool) -> int:
    with session_scope(engine) as session:
        row = ConnectorConfig(kind=kind, name=name, config={"identity_provider": idp})
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id


def _apply(engine: Any, connector_id: int, kind: str, records: list[Record], idp: bool) -> dict:
    with Session(engine) as session, session.begin():
        applier = SnapshotApplier(
            session=session, connector_id=connector_id, kind=kind, identity_provider=idp,
            stamp=utcnow(),
        )  # fmt: skip
        for r in records:
            applier.add(r)
        counts, _ = applier.finish()
    return counts


def _tenant(*users: str, suspended: tuple[str, ...] = ()) -> list[Record]:
    out: list[Record] = [ProductRecord(external_id="sku-e3", name="E3", sku="SPE_E3")]
    for u in users:
        status = "suspended" if u in suspended else "active"
        out.append(
            AccountRecord(
                external_id=f"id-{u}", email=f"{u.upper()}@Example.com", display_name=u.title(),
                status=status, department="Sales", last_active_at=T0,
            )
        )  # fmt: skip
        out.append(AssignmentRecord(account_external_id=f"id-{u}", product_external_id="sku-e3"))
    return out


@pytest.fixture
def m365(committed_db: Any) -> int:
    return _connector(committed_db.engine, "m365", "microsoft365", True)


def test_account_that_disappears_is_marked_removed_and_restored_when_back(
    committed_db: Any, m365: int
) -> None:
    engine = committed_db.engine
    _apply(engine, m365, "microsoft365", _tenant("ann", "bob"), True)
    gone = _apply(engine, m365, "microsoft365", _tenant("ann"), True)
    assert gone["accounts_removed"] == 1 and gone["assignments_removed"] == 1
    with Session(engine) as s:
        bob = s.exec(select(Account).where(Account.external_id == "id-bob")).one()
        seat = s.exec(select(Assignment).where(Assignment.account_id == bob.id)).one()
        person = s.get(Person, bob.person_id)
    assert bob.removed_at is not None and seat.removed_at is not None
    assert person is not None and person.status == "leaver"
    back = _apply(engine, m365, "microsoft365", _tenant("ann", "bob"), True)
    assert back["accounts_restored"] == 1 and back["assignments_restored"] == 1
    with Session(engine) as s:
        bob = s.exec(select(Account).where(Account.external_id == "id-bob")).one()
        seat = s.exec(select(Assignment).where(Assignment.account_id == bob.id)).one()
        person = s.get(Person, bob.person_id)
        assert s.exec(select(Account)).all().__len__() == 2
    assert bob.removed_at is None and seat.removed_at is None
    assert person is not None and person.status == "active"


def test_persons_matched_across_sources_by_lowercased_email_and_alias(
    committed_db: Any, m365: int
) -> None:
    engine = committed_db.engine
    slack = _connector(engine, "slack", "slack", False)
    _apply(engine, m365, "microsoft365", _tenant("ann", "bob", suspended=("bob",)), True)
    with session_scope(engine) as s:
        ann = s.exec(select(Person).where(Person.email == "ann@example.com")).one()
        s.add(PersonAlias(person_id=ann.id or 0, email="annie@old.example.com"))
    slack_records: list[Record] = [
        ProductRecord(external_id="T1", name="Slack"),
        AccountRecord(external_id="U1", email="Bob@example.COM", display_name="bobby",
                      status="active", department=None),
        AccountRecord(external_id="U2", email="annie@old.example.com", display_name="A",
                      status="active"),
        AccountRecord(external_id="U3", email="carol@example.com", display_name="Carol",
                      status="active"),
        AssignmentRecord(account_external_id="U1", product_external_id="T1"),
    ]  # fmt: skip
    counts = _apply(engine, slack, "slack", slack_records, False)
    assert counts["persons_created"] == 1
    with Session(engine) as s:
        persons = {p.email: p for p in s.exec(select(Person))}
        by_ext = {a.external_id: a for a in s.exec(select(Account))}
    assert set(persons) == {"ann@example.com", "bob@example.com", "carol@example.com"}
    assert by_ext["U1"].person_id == by_ext["id-bob"].person_id
    assert by_ext["U2"].person_id == by_ext["id-ann"].person_id
    bob = persons["bob@example.com"]
    assert bob.status == "leaver" and bob.display_name == "Bob" and bob.department == "Sales"
    assert persons["carol@example.com"].status == "active"


def _google(*aliases: str) -> list[Record]:
    return [
        AccountRecord(external_id="G1", email="frank@example.com", display_name="Frank",
                      status="active", department="Finance"),
        *(AliasRecord(account_external_id="G1", email=a) for a in aliases),
    ]  # fmt: skip


def _slack_frank() -> list[Record]:
    return [
        ProductRecord(external_id="T1", name="Slack"),
        AccountRecord(external_id="U9", email="F.Smith@Example.com", display_name="fs",
                      status="active"),
        AssignmentRecord(account_external_id="U9", product_external_id="T1"),
    ]  # fmt: skip


def _person_of(engine: Any) -> dict[str, str | None]:
    with Session(engine) as s:
        persons = {p.id: p.email for p in s.exec(select(Person))}
        return {a.external_id: persons.get(a.person_id) for a in s.exec(select(Account))}


@pytest.fixture
def sources(committed_db: Any) -> tuple[Any, int, int]:
    """The engine, a Google connector (identity provider) and a Slack connector."""
    engine = committed_db.engine
    google = _connector(engine, "google", "google_workspace", True)
    return engine, google, _connector(engine, "slack", "slack", False)


def test_an_alias_a_source_reports_matches_another_sources_account(
    sources: tuple[Any, int, int],
) -> None:
    engine, google, slack = sources
    counts = _apply(engine, google, "google_workspace", _google("F.Smith@example.com"), True)
    assert (counts["aliases_added"], counts["persons_merged"]) == (1, 0)
    assert _apply(engine, slack, "slack", _slack_frank(), False)["persons_created"] == 0
    assert _person_of(engine) == {"G1": "frank@example.com", "U9": "frank@example.com"}
    again = _apply(engine, google, "google_workspace", _google("f.smith@example.com"), True)
    assert (again["aliases_added"], again["persons_merged"]) == (0, 0)


def test_a_person_made_before_the_alias_was_known_is_merged_into_its_owner(
    sources: tuple[Any, int, int],
) -> None:
    engine, google, slack = sources
    _apply(engine, slack, "slack", _slack_frank(), False)  # Slack first: a person f.smith@
    with session_scope(engine) as s:
        smith = s.exec(select(Person).where(Person.email == "f.smith@example.com")).one()
        smith.cost_centre = "CC-7"
        s.add(smith)
        s.add(PersonAlias(person_id=smith.id or 0, email="fs@old.example.com"))
    counts = _apply(engine, google, "google_workspace", _google("f.smith@example.com"), True)
    assert (counts["aliases_added"], counts["persons_merged"]) == (1, 1)
    assert _person_of(engine) == {"G1": "frank@example.com", "U9": "frank@example.com"}
    with Session(engine) as s:
        [frank] = s.exec(select(Person)).all()
        aliases = {a.email: a.person_id for a in s.exec(select(PersonAlias))}
    assert (frank.email, frank.display_name, frank.department) == (
        "frank@example.com", "Frank", "Finance",
    )  # fmt: skip
    assert frank.cost_centre == "CC-7"  # a blank filled from the merged person
    assert aliases == {"f.smith@example.com": frank.id, "fs@old.example.com": frank.id}
    # A later Slack sync keeps the account with its merged person.
    assert _apply(engine, slack, "slack", _slack_frank(), False)["persons_created"] == 0
    assert _person_of(engine)["U9"] == "frank@example.com"


def _applications(engine: Any) -> dict[str, str]:
    from app.inventory.models import Application, Product

    with Session(engine) as s:
        rows = s.exec(select(Product.sku, Application.name).join(Application)).all()
    return {str(sku): name for sku, name in rows}


SKUS = [  # the suite's SKU first: its application exists before the others are filed
    ProductRecord(external_id="6fd2c87f-b296-42f0-b197-1e91e994b900", name="E3",
                  sku="ENTERPRISEPACK"),
    ProductRecord(external_id="c5928f49-12ba-48f7-ada3-0d743a3601d5", name="Visio",
                  sku="VISIOCLIENT"),
    ProductRecord(external_id="f8a1db68-be16-40ed-86d5-cb42ce701560", name="Power BI",
                  sku="POWER_BI_PRO"),
    ProductRecord(external_id="0000aaaa-0000-0000-0000-00000000beef", name="Own",
                  sku="CONTOSO_CUSTOM"),
]  # fmt: skip
FILED = {
    "ENTERPRISEPACK": "Microsoft 365", "VISIOCLIENT": "Microsoft Visio",
    "POWER_BI_PRO": "Power BI", "CONTOSO_CUSTOM": "Microsoft 365",
}  # fmt: skip


def test_each_known_sku_is_filed_under_its_catalogue_application_whatever_came_first(
    committed_db: Any, m365: int
) -> None:
    _apply(committed_db.engine, m365, "microsoft365", list(SKUS), idp=True)
    assert _applications(committed_db.engine) == FILED
    _apply(committed_db.engine, m365, "microsoft365", list(reversed(SKUS)), idp=True)
    assert _applications(committed_db.engine) == FILED


def test_a_known_sku_filed_under_another_application_moves_back_on_the_next_sync(
    committed_db: Any, m365: int
) -> None:
    from app.inventory.models import Application, Product

    _apply(committed_db.engine, m365, "microsoft365", list(SKUS), idp=True)
    with Session(committed_db.engine) as s:  # as an earlier release filed it
        suite = s.exec(select(Application).where(Application.name == "Microsoft 365")).one()
        visio = s.exec(select(Product).where(Product.sku == "VISIOCLIENT")).one()
        visio.application_id = suite.id
        s.add(visio)
        s.commit()
    assert _applications(committed_db.engine)["VISIOCLIENT"] == "Microsoft 365"
    _apply(committed_db.engine, m365, "microsoft365", list(SKUS), idp=True)
    assert _applications(committed_db.engine) == FILED


def _product(engine: Any, external_id: str) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT sku, name, status, seats_purchased, seats_consumed, removed_at "
                "FROM product WHERE external_id = :e"
            ),
            {"e": external_id},
        ).one()
    return dict(row._mapping)


def test_a_sku_the_tenant_stops_listing_keeps_its_names_and_its_seats(
    committed_db: Any, m365: int
) -> None:
    # Microsoft drops a SKU from subscribedSkus while users still hold it: the seats stay,
    # the seat counts become unknown, and the product is still recognisable by name.
    engine = committed_db.engine
    listed = ProductRecord(
        external_id="sku-e3", name="Office 365 E3", sku="ENTERPRISEPACK", seats_purchased=10,
        seats_consumed=2, status="enabled",
    )  # fmt: skip
    _apply(engine, m365, "microsoft365", [listed, *_tenant("ann", "bob")[1:]], True)
    assert _product(engine, "sku-e3")["sku"] == "ENTERPRISEPACK"

    counts = _apply(
        engine, m365, "microsoft365", [unlisted_sku("sku-e3"), *_tenant("ann")[1:]], True
    )

    assert _product(engine, "sku-e3") == {
        "sku": "ENTERPRISEPACK", "name": "Office 365 E3", "status": "unlisted",
        "seats_purchased": None, "seats_consumed": None, "removed_at": None,
    }  # fmt: skip
    assert counts["assignments"] == 1 and counts["assignments_removed"] == 1
    # Listed again: the tenant's own values return.
    _apply(engine, m365, "microsoft365", [listed, *_tenant("ann")[1:]], True)
    assert _product(engine, "sku-e3")["status"] == "enabled"
    assert _product(engine, "sku-e3")["seats_purchased"] == 10


def test_an_unlisted_sku_seen_first_takes_its_names_from_the_catalogue(
    committed_db: Any, m365: int
) -> None:
    engine = committed_db.engine
    e5, unknown = "06ebc4ee-1bb5-47dd-8120-11324bc54e06", "00000000-0000-0000-0000-00000000abcd"
    records: list[Record] = [unlisted_sku(e5), unlisted_sku(unknown)]
    for sku_id in (e5, unknown):
        records.append(AssignmentRecord(account_external_id="id-ann", product_external_id=sku_id))
    _apply(engine, m365, "microsoft365", [*_tenant("ann")[1:2], *records], True)
    known = _product(engine, e5)
    assert (known["sku"], known["name"], known["status"]) == (
        "SPE_E5",
        "Microsoft 365 E5",
        "unlisted",
    )
    other = _product(engine, unknown)
    assert (other["sku"], other["name"]) == (None, f"Unlisted SKU {unknown}")


def test_a_product_listed_without_a_name_keeps_the_one_it_had(committed_db: Any) -> None:
    # Google's licence items may lack skuName; the connector then names the SKU by its id.
    engine = committed_db.engine
    google = _connector(engine, "gws", "google_workspace", True)
    seat = AssignmentRecord(account_external_id="id-ann", product_external_id="p/1010310008")
    named = ProductRecord(external_id="p/1010310008", name="Gemini Business", sku="1010310008")
    unnamed = ProductRecord(external_id="p/1010310008", name="1010310008", sku="1010310008")
    _apply(engine, google, "google_workspace", [named, *_tenant("ann")[1:2], seat], True)
    _apply(engine, google, "google_workspace", [unnamed, *_tenant("ann")[1:2], seat], True)
    assert _product(engine, "p/1010310008")["name"] == "Gemini Business"
    # Never named: the catalogue's name when it knows the SKU, else the id.
    starter = ProductRecord(
        external_id="Google-Apps/1010020027", name="1010020027", sku="1010020027"
    )
    odd = ProductRecord(external_id="Google-Apps/999", name="999", sku="999")
    _apply(engine, google, "google_workspace", [starter, odd, *_tenant("ann")[1:2]], True)
    assert _product(engine, "Google-Apps/1010020027")["name"] == "Google Workspace Business Starter"
    assert _product(engine, "Google-Apps/999")["name"] == "999"
