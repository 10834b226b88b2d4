"""Renewal alerts go to the renewal's owner, else procurement, else the admins."""

from __future__ import annotations

from datetime import timedelta

from app.notify.dispatch import run_alerts
from tests.conftest import Database
from tests.notify import renewal_alert_fixtures
from tests.notify.renewal_alert_fixtures import RENEWAL, _renewals, _set_renewal
from tests.notify.seed import (
    PROCUREMENT,
    outbox,
    part,
    seed_contract,
    seed_person,
    seed_user,
    settings_for,
)
from tests.smtp_server import Mailbox

# Shared fixtures, bound in this module for pytest to find.
smtp = renewal_alert_fixtures.smtp


def test_owner_who_left_is_replaced_by_procurement_with_the_fact_stated(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, mailbox = smtp
    seed_contract(committed_db.engine, renewal_date=RENEWAL, owner_email="Gone@Example.com")
    seed_person(committed_db.engine, "gone@example.com", status="leaver")
    report = run_alerts(
        engine=committed_db.engine, settings=settings_for(port), as_of=RENEWAL - timedelta(30)
    )
    assert [line.recipient for line in _renewals(report)] == [PROCUREMENT]
    assert mailbox.to("gone@example.com") == []
    [message] = mailbox.to(PROCUREMENT)
    text = part(message)
    html = part(message, "html")
    fact = (
        "the contract owner gone@example.com has left the company "
        "(their identity-provider account is suspended or removed)"
    )
    assert fact in text.lower() and fact in html.lower()


def test_alert_nobody_would_get_goes_to_procurement_users_else_admins(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, _ = smtp
    seed_contract(committed_db.engine, renewal_date=RENEWAL, owner_email=None)
    seed_user(committed_db.engine, "root@example.com", "admin")
    day = RENEWAL - timedelta(7)
    no_list = settings_for(port, procurement_emails=[])
    report = run_alerts(engine=committed_db.engine, settings=no_list, as_of=day, deliver=False)
    assert [line.recipient for line in _renewals(report)] == ["root@example.com"]
    seed_user(committed_db.engine, "Buyer@Example.com", "procurement")
    report = run_alerts(engine=committed_db.engine, settings=no_list, as_of=day, deliver=False)
    assert "buyer@example.com" in [line.recipient for line in _renewals(report)]


def test_contract_without_owner_goes_to_procurement_only(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, _ = smtp
    seed_contract(committed_db.engine, renewal_date=RENEWAL, owner_email=None)
    report = run_alerts(
        engine=committed_db.engine, settings=settings_for(port), as_of=RENEWAL - timedelta(7)
    )
    assert [line.recipient for line in _renewals(report)] == [PROCUREMENT]
    assert [row.status for row in outbox(committed_db.engine)] == ["sent", "sent"]


def test_alert_goes_to_the_renewal_owner_set_on_the_task_not_the_contracts_old_one(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, mailbox = smtp
    seed_contract(
        committed_db.engine, renewal_date=RENEWAL, auto_renew=True, notice_days=30,
        owner_email="anna.ito@example.com",
    )  # fmt: skip
    day = RENEWAL - timedelta(days=30 + 60)
    _set_renewal(committed_db, "C-100", day, owner_email="New.Owner@Example.com")
    report = run_alerts(engine=committed_db.engine, settings=settings_for(port), as_of=day)
    assert sorted(x.recipient for x in _renewals(report)) == sorted(
        ["new.owner@example.com", PROCUREMENT]
    )
    assert mailbox.to("anna.ito@example.com") == []
    [message] = mailbox.to("new.owner@example.com")
    assert "Owner:                 new.owner@example.com" in part(message)
    assert "anna.ito" not in part(message)
    assert "Negotiation: open; no decision recorded yet." in part(message)
