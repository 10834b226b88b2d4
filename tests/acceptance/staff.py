"""People, accounts and seats of the hand-computed acceptance companies, as a sync leaves
them (the companies differ in their data, not in how a row is planted)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import Session

from app.people.models import Account, Assignment, Person
from app.sync.models import ConnectorConfig


def _add(session: Session, row: Any) -> Any:
    session.add(row)
    session.flush()
    return row


@dataclass
class Staff:
    """Plants ``who``'s person (``ext-…`` is an outside guest: no person) and accounts."""

    session: Session
    today: date
    domain: str
    connectors: Mapping[str, ConnectorConfig]
    products: Mapping[str, int]
    accounts: dict[tuple[str, str], int]
    persons: dict[str, int] = field(default_factory=dict)

    def ago(self, days: int) -> datetime:
        """Noon UTC on the calendar day ``days`` days before ``today``."""
        noon = datetime(self.today.year, self.today.month, self.today.day, 12, 0, tzinfo=UTC)
        return noon - timedelta(days=days)

    def person(self, who: str) -> int | None:
        if who.startswith("ext-"):
            return None
        if who not in self.persons:
            row = Person(email=f"{who}@{self.domain}", display_name=who)
            self.persons[who] = _add(self.session, row).id
        return self.persons[who]

    def account(
        self,
        source: str,
        who: str,
        seats: tuple[str, ...],
        *,
        last_active: int | None,
        status: str = "active",
        guest: bool = False,
        created: int | None = 400,
        first_seen: int = 400,
        activity_known: bool = True,
    ) -> None:
        """``who``'s account in ``source`` holding ``seats`` (days are days before today)."""
        email = f"{who[4:]}@partner.test" if who.startswith("ext-") else f"{who}@{self.domain}"
        row = _add(
            self.session,
            Account(
                connector_id=self.connectors[source].id,
                external_id=f"{source}-{who}",
                person_id=self.person(who),
                email=email,
                display_name=who,
                status=status,
                is_guest=guest,
                vendor_created_at=None if created is None else self.ago(created),
                last_active_at=None if last_active is None else self.ago(last_active),
                activity_known=activity_known,
                first_seen_at=self.ago(first_seen),
                last_seen_at=self.ago(0),
            ),
        )
        self.accounts[(source, who)] = row.id
        for product in seats:
            seen = self.ago(first_seen)
            _add(
                self.session,
                Assignment(account_id=row.id, product_id=self.products[product], assigned_at=seen,
                           first_seen_at=seen, last_seen_at=self.ago(0)),
            )  # fmt: skip
