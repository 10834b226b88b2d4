"""Identity: one Person per human across sources, matched by normalised e-mail and aliases.

The sync calls :func:`match_staged_accounts` once per batch of staged accounts (set-based
SQL, no ORM objects) and :func:`refresh_leavers` once per run. A person is a ``leaver`` when any of
their accounts in an identity-provider connector is suspended, deleted or gone.
"""

# SQL here interpolates only module-constant table and column names; values are bound.
# ruff: noqa: S608

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlmodel import Session

from app.core.db import UTCDateTime
from app.people.models import Account, Person, PersonAlias
from app.sync.models import ConnectorConfig

PERSON_T = cast(sa.Table, Person.__table__)  # type: ignore[attr-defined]
ALIAS_T = cast(sa.Table, PersonAlias.__table__)  # type: ignore[attr-defined]
ACCOUNT_T = cast(sa.Table, Account.__table__)  # type: ignore[attr-defined]
CONNECTOR_T = cast(sa.Table, ConnectorConfig.__table__)  # type: ignore[attr-defined]
GONE_STATUSES = ("suspended", "deleted")


def normalise_email(email: str | None) -> str | None:
    """Lower-case and trim an e-mail; None for empty or address-less values."""
    if not email:
        return None
    clean = email.strip().lower()
    return clean if "@" in clean else None


def match_staged_accounts(
    *, session: Session, table: str, seen: str, identity_provider: bool, stamp: datetime
) -> int:
    """Give each staged account of one batch its person, by alias or e-mail, creating persons.

    ``table`` is the batch's staging table with ``seq``, ``norm_email``, ``display_name``,
    ``department`` and ``person_id`` columns; ``seen`` holds the ``person_id`` of every
    earlier batch of the run. New persons take the first account's name and department;
    an identity-provider account then overrides them with its non-empty values, other
    sources only fill blanks. A person's first account in the run decides. Returns how
    many persons were created.
    """
    conn = session.connection()
    pg = conn.dialect.name == "postgresql"
    ne = "IS DISTINCT FROM" if pg else "IS NOT"

    def run(sql: str) -> int:
        stmt = sa.text(sql)
        if ":stamp" in sql:
            stmt = stmt.bindparams(sa.bindparam("stamp", type_=UTCDateTime()))
            return int(conn.execute(stmt, {"stamp": stamp}).rowcount or 0)
        return int(conn.execute(stmt).rowcount or 0)

    match = (
        f"UPDATE {table} SET person_id = COALESCE("
        f"(SELECT al.person_id FROM person_alias al WHERE al.email = {table}.norm_email), "
        f"(SELECT p.id FROM person p WHERE p.email = {table}.norm_email)) "
        "WHERE norm_email IS NOT NULL"
    )
    run(match)
    created = run(
        "INSERT INTO person (email, display_name, department, status, created_at, updated_at) "
        f"SELECT s.norm_email, s.display_name, s.department, 'active', :stamp, :stamp "
        f"FROM {table} s WHERE s.seq IN (SELECT MIN(seq) FROM {table} "
        "WHERE person_id IS NULL AND norm_email IS NOT NULL GROUP BY norm_email)"
    )
    if created:
        run(
            f"UPDATE {table} SET person_id = (SELECT p.id FROM person p "
            f"WHERE p.email = {table}.norm_email) "
            "WHERE person_id IS NULL AND norm_email IS NOT NULL"
        )
    if identity_provider:
        name = "COALESCE(f.display_name, person.display_name)"
        dept = "COALESCE(f.department, person.department)"
    else:
        name = "COALESCE(person.display_name, f.display_name)"
        dept = "COALESCE(person.department, f.department)"
    first = (
        f"SELECT s.person_id, s.display_name, s.department FROM {table} s "
        f"WHERE s.seq IN (SELECT MIN(seq) FROM {table} WHERE person_id IS NOT NULL "
        "GROUP BY person_id) "
        f"AND NOT EXISTS (SELECT 1 FROM {seen} s0 WHERE s0.person_id = s.person_id)"
    )
    run(
        f"UPDATE person SET display_name = {name}, department = {dept}, updated_at = :stamp "
        f"FROM ({first}) f WHERE person.id = f.person_id "
        f"AND ({name} {ne} person.display_name OR {dept} {ne} person.department)"
    )
    return created


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
    """Persons with their accounts per source and the licences they hold; and the total."""
    from sqlmodel import col, func, select

    from app.inventory.service import products_held

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
