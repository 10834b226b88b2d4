"""Logins that can be ended, and failed logins that slow down password guessing.

Until now a session was only a signed cookie: logging out cleared the browser's copy,
but a saved copy kept working until it expired. Each login now has a row whose key
the cookie carries; logging out deletes it. Cookies from before this revision carry
no key, so their holders log in again once.

Revision ID: 0009_login_sessions
Revises: 0008_account_fillfactor
Create Date: 2026-12-03 14:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.core.db import UTCDateTime

revision: str = "0009_login_sessions"
down_revision: str | None = "0008_account_fillfactor"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_login_session_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_session")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_login_session_key_hash")),
    )
    with op.batch_alter_table("login_session") as batch:
        batch.create_index(batch.f("ix_login_session_user_id"), ["user_id"], unique=False)
        batch.create_index(batch.f("ix_login_session_last_seen_at"), ["last_seen_at"], unique=False)
    op.create_table(
        "login_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failure")),
    )
    with op.batch_alter_table("login_failure") as batch:
        batch.create_index(batch.f("ix_login_failure_email"), ["email"], unique=False)
        batch.create_index(batch.f("ix_login_failure_client"), ["client"], unique=False)
        batch.create_index(batch.f("ix_login_failure_at"), ["at"], unique=False)


def downgrade() -> None:
    op.drop_table("login_failure")
    op.drop_table("login_session")
