"""Identity: one Person per human across sources, matched by normalised e-mail and aliases.

The sync uses a :class:`PersonMatcher` per run (bulk statements per batch, no ORM objects)
and calls :func:`refresh_leavers` once per run. A person is a ``leaver`` when any of
their accounts in an identity-provider connector is suspended, deleted or gone.
"""

# SQL here interpolates only module-constant table and column names; values are bound.
# ruff: noqa: S608

from __future__ import annotations

from datetime import datetime
from typing import Any, cast, get_args

import sqlalchemy as sa
from sqlmodel import Session

from app.core import bulk
from app.core.errors import check_choice
from app.people.models import Account, Person, PersonAlias
from app.sync.models import ConnectorConfig
from connectors.base import AccountStatus

PERSON_T = cast(sa.Table, Person.__table__)  # type: ignore[attr-defined]
ACCOUNT_T = cast(sa.Table, Account.__table__)  # type: ignore[attr-defined]
CONNECTOR_T = cast(sa.Table, ConnectorConfig.__table__)  # type: ignore[attr-defined]
ALIAS_T = cast(sa.Table, PersonAlias.__table__)  # type: ignore[attr-defined]
PERSON_REFERENCES = ("account", "usage_daily")
"""Tables whose ``person_id`` follows a person merged into another (aliases move too)."""
MERGED_FIELDS = ("display_name", "department", "cost_centre", "manager_email")
GONE_STATUSES = ("suspended", "deleted")
PERSON_STATUSES = ("active", "leaver")
"""What a person's ``status`` can be (:func:`refresh_leavers` sets it)."""
ACCOUNT_STATUSES: tuple[str, ...] = get_args(AccountStatus)
"""What an account's ``status`` can be: what the connectors report."""


def normalise_email(email: str | None) -> str | None:
    """Lower-case and trim an e-mail; None for empty or address-less values."""
    if not email:
        return None
    clean = email.strip().lower()
    return clean if "@" in clean else None


class PersonMatcher:
    """Finds or creates the person of each account of one sync run, batch by batch.

    Accounts are matched by normalised e-mail, aliases first. A new person takes the name
    and department of the first account naming them. An existing person is updated from
    the first account of the run that matches them: an identity-provider account
    overrides with its non-empty values, other sources only fill blanks. Lookups and
    inserts are one bulk statement per batch (:mod:`app.core.bulk`), no ORM objects.
    """

    def __init__(self, *, session: Session, identity_provider: bool, stamp: datetime) -> None:
        self.conn = session.connection()
        self.identity_provider = identity_provider
        self.stamp = bulk.time_writer(self.conn)(stamp)
        self.seen: set[int] = set()
        self.created = 0

    def match(self, accounts: list[tuple[str | None, str | None, str | None]]) -> list[int | None]:
        """Person ids for ``(normalised e-mail, display name, department)`` of each account.

        Accounts without an e-mail get None; persons that do not exist yet are created.
        """
        first: dict[str, tuple[str | None, str | None]] = {}
        for email, name, department in accounts:
            if email is not None and email not in first:
                first[email] = (name, department)
        emails = list(first)
        found: dict[str, int] = {
            email: person_id
            for email, person_id in bulk.select_in(
                self.conn, "SELECT email, person_id FROM person_alias WHERE", "email", emails
            )
        }
        current: dict[int, tuple[str | None, str | None]] = {}
        for person_id, email, name, department in bulk.select_in(
            self.conn,
            "SELECT id, email, display_name, department FROM person WHERE",
            "email",
            [e for e in emails if e not in found],
        ):
            found[email] = person_id
            current[person_id] = (name, department)
        aliased = [pid for pid in set(found.values()) if pid not in current]
        for person_id, name, department in bulk.select_in(
            self.conn, "SELECT id, display_name, department FROM person WHERE", "id", aliased
        ):
            current[person_id] = (name, department)
        self._update_first_seen(first, found, current)
        missing = [e for e in emails if e not in found]
        if missing:
            created = bulk.insert(
                self.conn,
                "person",
                ("email", "display_name", "department", "status", "created_at", "updated_at"),
                [(e, *first[e], "active", self.stamp, self.stamp) for e in missing],
                returning="email, id",
            )
            for email, person_id in created:
                found[email] = person_id
                self.seen.add(person_id)
            self.created += len(created)
        return [None if email is None else found[email] for email, _, _ in accounts]

    def _update_first_seen(
        self,
        first: dict[str, tuple[str | None, str | None]],
        found: dict[str, int],
        current: dict[int, tuple[str | None, str | None]],
    ) -> None:
        """Apply the naming rule to existing persons met for the first time in this run."""
        changes: list[tuple[Any, ...]] = []
        for email, (name, department) in first.items():
            person_id = found.get(email)
            if person_id is None or person_id in self.seen:
                continue
            self.seen.add(person_id)
            old_name, old_department = current.get(person_id, (None, None))
            if self.identity_provider:
                new = (name or old_name, department or old_department)
            else:
                new = (old_name or name, old_department or department)
            if new != (old_name, old_department):
                changes.append((*new, self.stamp, person_id))
        if changes:
            mark = "%s" if bulk.is_pg(self.conn) else "?"
            raw: Any = self.conn.connection.driver_connection
            cursor = raw.cursor()
            cursor.executemany(
                f"UPDATE person SET display_name = {mark}, department = {mark}, "
                f"updated_at = {mark} WHERE id = {mark}",
                changes,
            )
            cursor.close()


def record_aliases(
    *, session: Session, aliases: list[tuple[int, str]], stamp: datetime
) -> dict[str, int]:
    """Make each ``(person id, normalised e-mail)`` an alias of that person.

    A source (Google's Directory) says the address belongs to the person, so:

    - an alias that is new is recorded; one recorded for another person moves to this one
      (the address was given to someone else);
    - a person whose own e-mail it is — created from another source's account before the
      alias was known — is the same human: merged into this person (their accounts, usage
      and aliases move over, blank name, department, cost centre and manager are filled
      from theirs, and their address becomes an alias).

    Returns:
        Counts ``aliases_added`` and ``persons_merged``.
    """
    conn = session.connection()
    wanted: dict[str, int] = {}
    for person_id, email in aliases:
        wanted.setdefault(email, person_id)
    emails = list(wanted)
    known = dict(
        bulk.select_in(conn, "SELECT email, person_id FROM person_alias WHERE", "email", emails)
    )
    owners = dict(bulk.select_in(conn, "SELECT email, id FROM person WHERE", "email", emails))
    counts = {"aliases_added": 0, "persons_merged": 0}
    for email, person_id in wanted.items():
        if email in known:
            if known[email] != person_id:
                conn.execute(
                    ALIAS_T.update().where(ALIAS_T.c.email == email).values(person_id=person_id)
                )
            continue
        other = owners.get(email)
        if other == person_id:
            continue
        if other is not None:
            _merge_person(conn, other, into=person_id, stamp=stamp)
            counts["persons_merged"] += 1
        conn.execute(ALIAS_T.insert().values(person_id=person_id, email=email))
        counts["aliases_added"] += 1
    return counts


def _merge_person(conn: Any, merged: int, *, into: int, stamp: datetime) -> None:
    """Move everything of person ``merged`` to person ``into``, then delete ``merged``."""
    p = PERSON_T
    gone = conn.execute(sa.select(p).where(p.c.id == merged)).one()
    for table in PERSON_REFERENCES:
        conn.execute(
            sa.text(f"UPDATE {table} SET person_id = :into WHERE person_id = :merged"),
            {"into": into, "merged": merged},
        )
    conn.execute(ALIAS_T.update().where(ALIAS_T.c.person_id == merged).values(person_id=into))
    conn.execute(
        p.update()
        .where(p.c.id == into)
        .values(
            **{f: sa.func.coalesce(p.c[f], getattr(gone, f)) for f in MERGED_FIELDS},
            updated_at=stamp,
        )
    )
    conn.execute(p.delete().where(p.c.id == merged))


def identity_provider_ids(*, session: Session) -> list[int]:
    """Ids of the connectors marked ``identity_provider: true``."""
    rows = session.connection().execute(sa.select(CONNECTOR_T.c.id, CONNECTOR_T.c.config))
    return [row.id for row in rows if (row.config or {}).get("identity_provider")]


def refresh_leavers(*, session: Session, stamp: datetime) -> None:
    """Set each person's status: ``leaver`` when an identity-provider account is gone."""
    conn = session.connection()
    p, a = PERSON_T, ACCOUNT_T
    idp = identity_provider_ids(session=session)
    # The few persons with a gone identity-provider account, as a set: far cheaper than
    # asking "is there a gone account?" of every person in a large tenant.
    gone = (
        sa.select(a.c.person_id)
        .where(
            a.c.person_id.is_not(None),
            a.c.connector_id.in_(idp),
            a.c.status.in_(GONE_STATUSES) | a.c.removed_at.is_not(None),
        )
        .distinct()
    )
    conn.execute(
        p.update()
        .where(p.c.status != "leaver", p.c.id.in_(gone))
        .values(status="leaver", updated_at=stamp)
    )
    conn.execute(
        p.update()
        .where(p.c.status == "leaver", p.c.id.not_in(gone))
        .values(status="active", updated_at=stamp)
    )


def list_people(
    *, session: Session, status: str | None = None, limit: int | None = None, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    """Persons with their accounts per source and the licences they hold; and the total.

    Raises:
        InvalidInputError: ``status`` is none of :data:`PERSON_STATUSES`.
    """
    from sqlmodel import col, func, select

    from app.inventory.service import products_held

    check_choice(status or None, PERSON_STATUSES, "status")
    query = select(Person)
    if status:
        query = query.where(Person.status == status)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    query = query.order_by(col(Person.email))
    if limit is not None:
        query = query.limit(limit).offset(offset)
    persons = list(session.exec(query))
    accounts: dict[int, list[tuple[Account, ConnectorConfig]]] = {}
    ids = [p.id for p in persons if p.id is not None]
    for start in range(0, len(ids), 5000):
        rows = session.exec(
            select(Account, ConnectorConfig)
            .join(ConnectorConfig, col(ConnectorConfig.id) == col(Account.connector_id))
            .where(col(Account.person_id).in_(ids[start : start + 5000]))
            .order_by(col(ConnectorConfig.name), col(Account.external_id))
        )
        for account, connector in rows:
            accounts.setdefault(account.person_id or 0, []).append((account, connector))
    held = products_held(
        session=session, account_ids=[a.id for rows in accounts.values() for a, _ in rows if a.id]
    )
    items = []
    for person in persons:
        views, licences = [], []
        for account, connector in accounts.get(person.id or 0, []):
            seats = [] if account.removed_at else held.get(account.id or 0, [])
            views.append(
                {
                    "connector": connector.name,
                    "kind": connector.kind,
                    "external_id": account.external_id,
                    "email": account.email,
                    "display_name": account.display_name,
                    "status": account.status,
                    "is_guest": account.is_guest,
                    "last_active_at": account.last_active_at,
                    "removed_at": account.removed_at,
                    "products": sorted(ext for ext, _ in seats),
                }
            )
            for ext, product in sorted(seats, key=lambda s: s[0]):
                licences.append(
                    {
                        "connector": connector.name,
                        "external_id": ext,
                        "product_external_id": ext,
                        "sku": product.sku,
                        "name": product.name,
                        "product_name": product.name,
                    }
                )
        items.append(
            {
                "email": person.email,
                "display_name": person.display_name,
                "department": person.department,
                "status": person.status,
                "accounts": views,
                "licences": licences,
            }
        )
    return items, int(total)
