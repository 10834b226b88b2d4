"""Seat counts kept per data version: recounted when a sync changes the inventory."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlmodel import Session, select

from app.inventory.detail_views import products_of
from app.inventory.models import Application, Product
from app.inventory.seat_counts import (
    ReadCache,
    active_since,
    application_seats,
    product_seats,
)
from app.inventory.service import inventory_products
from app.inventory.views import application_rows
from app.notify.figures import seat_counts
from app.people.models import Account, Assignment
from app.sync.models import ConnectorConfig, SyncRun

TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 9, tzinfo=UTC)


def _seed(
    session: Session, name: str = "Slack", seen: tuple[datetime | None, ...] | None = None
) -> tuple[int, int, int]:
    """An application with one product whose holders were last seen at ``seen``."""
    app = Application(name=name)
    conn = ConnectorConfig(kind="slack", name=name.lower())
    session.add_all([app, conn])
    session.flush()
    product = Product(application_id=app.id, connector_id=conn.id, external_id="pro", name="Pro")
    session.add(product)
    session.flush()
    if seen is None:
        seen = (NOW - timedelta(days=1), NOW - timedelta(days=45), None)
    for i, at in enumerate(seen):
        account = Account(connector_id=conn.id, external_id=f"U{i}", last_active_at=at)
        session.add(account)
        session.flush()
        session.add(Assignment(account_id=account.id, product_id=product.id))
    session.flush()
    return int(app.id or 0), int(product.id or 0), int(conn.id or 0)


def fresh(session: Session) -> None:
    """A new request: the data version is read again."""
    session.info.pop("seatwise_data_version", None)


def test_seats_active_count_only_accounts_seen_in_the_last_30_days(session: Session) -> None:
    app_id, product_id, _ = _seed(session)
    seats = product_seats(session=session, today=TODAY)[product_id]
    assert (seats.assigned, seats.active) == (3, 1)
    assert application_seats(session=session, today=TODAY) == {app_id: (3, 1)}


def test_cached_seat_counts_are_recounted_after_a_sync_run(session: Session) -> None:
    app_id, product_id, conn_id = _seed(session)
    cache = ReadCache()
    assert application_seats(session=session, today=TODAY, cache=cache) == {app_id: (3, 1)}
    # A sync marks a seat removed (no new ids): the finished run moves the version.
    assignment = session.exec(select(Assignment)).first()
    assert assignment is not None
    assignment.removed_at = NOW
    session.flush()
    fresh(session)
    assert application_seats(session=session, today=TODAY, cache=cache) == {app_id: (3, 1)}
    session.add(SyncRun(connector_id=conn_id, status="succeeded", finished_at=NOW))
    session.flush()
    fresh(session)
    counted = application_seats(session=session, today=TODAY, cache=cache)[app_id]
    assert counted[0] == 2
    # A new day moves the 'active' cut-off, so it is counted again too.
    later = product_seats(session=session, today=TODAY + timedelta(days=60), cache=cache)
    assert later[product_id].active == 0


def test_cache_entries_expire_after_their_ttl(session: Session) -> None:
    app_id, _, conn_id = _seed(session)
    cache = ReadCache(ttl=0.0)
    assert application_seats(session=session, today=TODAY, cache=cache) == {app_id: (3, 1)}
    session.add(Account(connector_id=conn_id, external_id="late"))
    session.flush()
    account = session.exec(select(Account).where(Account.external_id == "late")).one()
    session.add(Assignment(account_id=account.id, product_id=_product(session)))
    session.flush()
    assert application_seats(session=session, today=TODAY, cache=cache) == {app_id: (4, 1)}


def _product(session: Session) -> int:
    product = session.exec(select(Product)).one()
    return int(product.id or 0)


def test_seats_whose_source_reports_no_activity_are_counted_apart(session: Session) -> None:
    app_id, product_id, conn_id = _seed(session)
    for i in range(2):  # a tenant without Entra ID P1: no sign-in data at all
        account = Account(connector_id=conn_id, external_id=f"N{i}", activity_known=False)
        session.add(account)
        session.flush()
        session.add(Assignment(account_id=account.id, product_id=product_id))
    session.flush()
    seats = product_seats(session=session, today=TODAY)[product_id]
    assert (seats.assigned, seats.active, seats.unknown) == (5, 1, 2)
    assert application_seats(session=session, today=TODAY) == {app_id: (5, 1)}
    [row] = products_of(session=session, application_id=app_id, today=TODAY)
    assert (row["assigned"], row["active"], row["activity_unknown"]) == (5, 1, 2)


def test_free_skus_are_no_paid_seats_in_application_totals(session: Session) -> None:
    app_id, _, conn_id = _seed(session)
    free = Product(application_id=app_id, connector_id=conn_id, external_id="free",
                   name="Free", seats_purchased=1_000_000, list_price=Decimal(0))  # fmt: skip
    session.add(free)
    session.flush()
    for i in range(3):
        account = Account(connector_id=conn_id, external_id=f"F{i}", last_active_at=NOW)
        session.add(account)
        session.flush()
        session.add(Assignment(account_id=account.id, product_id=free.id))
    session.flush()
    assert product_seats(session=session, today=TODAY)[free.id or 0].free
    assert application_seats(session=session, today=TODAY) == {app_id: (3, 1)}
    page = application_rows(session=session, currency="EUR", today=TODAY, application_id=app_id)
    [row] = page.items
    assert row["bought"] == 0 and (row["assigned"], row["active"]) == (3, 1)


def test_pages_and_e_mails_count_active_seats_as_the_cli_does(session: Session) -> None:
    """Active means seen within 30 days of now, not since midnight 30 days ago: a holder
    last seen 30 days and a minute ago is inactive on the page, in the alert and the CLI."""
    now = datetime.now(UTC)
    month = timedelta(days=30)
    seen = (now - month + timedelta(minutes=1), now - month - timedelta(minutes=1))
    app_id, product_id, _ = _seed(session, "Zoom", seen)
    today = date.today()
    cli_rows, _ = inventory_products(session=session, today=today, now=datetime.now(UTC))
    assert [(r["seats_assigned"], r["seats_active"]) for r in cli_rows] == [(2, 1)]
    page = product_seats(session=session, today=today)[product_id]
    assert (page.assigned, page.active) == (2, 1)
    assert application_seats(session=session, today=today) == {app_id: (2, 1)}
    assert seat_counts(session=session, product_ids=[product_id], as_of=today)[:2] == (2, 1)


def test_the_active_cut_off_of_another_day_is_30_days_before_its_end() -> None:
    now = datetime(2026, 12, 3, 15, 30, tzinfo=UTC)
    # Today anywhere on earth (pages: the server's date; alerts: SEATWISE_TIMEZONE's).
    for today in (now.date() - timedelta(days=1), now.date(), now.date() + timedelta(days=1)):
        assert active_since(today, now=now) == now - timedelta(days=30)
    assert active_since(date(2026, 12, 10), now=now) == datetime(2026, 11, 11, tzinfo=UTC)
    assert active_since(date(2026, 11, 1), now=now) == datetime(2026, 10, 3, tzinfo=UTC)
