"""People tables: persons (one per human), accounts (one per source), assignments (seats)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, utcnow


class Person(SQLModel, table=True):
    """One human across every source, keyed by normalised e-mail."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True)
    display_name: str | None = Field(default=None, max_length=300)
    department: str | None = Field(default=None, max_length=100, index=True)
    cost_centre: str | None = Field(default=None, max_length=100, index=True)
    manager_email: str | None = Field(default=None, max_length=320)
    status: str = Field(default="active", max_length=20, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PersonAlias(SQLModel, table=True):
    """A further e-mail address known to belong to a person (for identity matching)."""

    __tablename__ = "person_alias"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    email: str = Field(max_length=320, unique=True)


class Account(SQLModel, table=True):
    """One account in one source; never deleted, ``removed_at`` marks disappearance."""

    __table_args__ = (sa.UniqueConstraint("connector_id", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    # No index of its own: the unique (connector_id, external_id) index serves lookups.
    connector_id: int = Field(foreign_key="connector_config.id", ondelete="CASCADE")
    external_id: str = Field(max_length=300)
    person_id: int | None = Field(
        default=None, foreign_key="person.id", index=True, ondelete="SET NULL"
    )
    email: str | None = Field(default=None, max_length=320, index=True)
    display_name: str | None = Field(default=None, max_length=300)
    status: str = Field(default="active", max_length=20)
    is_guest: bool = False
    is_admin: bool = False
    department: str | None = Field(default=None, max_length=100)
    vendor_created_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_active_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    activity_known: bool = True
    first_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Assignment(SQLModel, table=True):
    """A seat: an account holds a product; ``removed_at`` set when the vendor stops reporting it."""

    __table_args__ = (
        sa.UniqueConstraint("account_id", "product_id"),
        # account_id too: a seat count joins each live seat to its account from the index.
        sa.Index(
            "ix_assignment_product_id_removed_at_account_id",
            "product_id",
            "removed_at",
            "account_id",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", ondelete="CASCADE")
    product_id: int = Field(foreign_key="product.id", ondelete="CASCADE")
    assigned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    first_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
