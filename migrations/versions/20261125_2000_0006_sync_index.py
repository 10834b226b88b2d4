"""The key index each connector's last sync left, so the next one need not scan for it.

Revision ID: 0006_sync_index
Revises: 0005_account_index
Create Date: 2026-11-25 20:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.core.db import UTCDateTime

revision: str = "0006_sync_index"
down_revision: str | None = "0005_account_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sync_index",
        sa.Column("connector_id", sa.Integer(), nullable=False),
        sa.Column("layout", sa.Integer(), nullable=False),
        sa.Column("schema_revision", sa.String(length=100), nullable=False),
        sa.Column("accounts", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("written_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connector_id"],
            ["connector_config.id"],
            name=op.f("fk_sync_index_connector_id_connector_config"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("connector_id", name=op.f("pk_sync_index")),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Tens of MB per large tenant, rewritten by most syncs: storing it uncompressed
        # saves compressing it every time (and it is read back whole anyway).
        op.execute("ALTER TABLE sync_index ALTER COLUMN data SET STORAGE EXTERNAL")


def downgrade() -> None:
    op.drop_table("sync_index")
