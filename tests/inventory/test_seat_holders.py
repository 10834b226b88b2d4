"""An application's seat holders: the paid seats its figures and findings count."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from app.inventory.detail_views import holders_of
from app.people.models import Account
from tests.spend.spend_rows import application, person, product, seat

TODAY = date(2026, 12, 3)


def test_holders_list_paid_seats_and_free_ones_apart_and_leavers_as_findings_do(
    session: Session,
) -> None:
    bi = application(session, "Power BI", "Microsoft")
    pro = product(session, bi, "Power BI Pro")
    free = product(session, bi, "Power BI (free)")
    free.list_price = 0  # type: ignore[assignment]
    ann = person(session, "ann@example.com", "Sales", None)
    bob = person(session, "bob@example.com", "Sales", None)
    cid = person(session, "cid@example.com", "Sales", None)
    cid.status = "leaver"  # left the identity provider
    for holder in (ann, bob, cid):
        seat(session, holder, pro)
    seat(session, ann, free)
    seat(session, bob, free)
    bob_account = session.exec(select(Account).where(Account.person_id == bob.id)).one()
    bob_account.status = "suspended"  # left this source only: a leaver_seat finding too
    session.flush()

    def emails(show: str) -> list[str]:
        page = holders_of(session=session, application_id=bi.id or 0, today=TODAY, show=show)
        assert page.total == len(page.items)
        return sorted(h["email"] for h in page.items)

    assert emails("all") == ["ann@example.com", "bob@example.com", "cid@example.com"]
    assert emails("free") == ["ann@example.com", "bob@example.com"]
    assert emails("leavers") == ["bob@example.com", "cid@example.com"]
