"""The key index's bytes in a table of their own, apart from the row each run confirms.

On SQLite an update rewrites the whole row, and when the row's size changes (a run id
that takes one byte more, say) its tens of megabytes of index too: a run that changed
nothing then wrote as much as one that changed everything. The run id now lives in a
row without the bytes. Stored indexes are dropped (the next run of each connector
scans its tables and stores a fresh one, as after any migration).

Revision ID: 0007_sync_index_data
Revises: 0006_sync_index
Create Date: 2026-11-25 21:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_sync_index_data"
down_revision: str | None = "0006_sync_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM sync_index")
    with op.batch_alter_table("sync_index") as batch:
        batch.drop_column("data")
    op.create_table(
        "sync_index_data",
        sa.Column("connector_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connector_id"],
            ["sync_index.connector_id"],
            name=op.f("fk_sync_index_data_connector_id_sync_index"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("connector_id", name=op.f("pk_sync_index_data")),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Tens of MB per large tenant, rewritten by most syncs that change anything:
        # stored uncompressed, which saves compressing it every time.
        op.execute("ALTER TABLE sync_index_data ALTER COLUMN data SET STORAGE EXTERNAL")


def downgrade() -> None:
    op.drop_table("sync_index_data")
    op.execute("DELETE FROM sync_index")
    with op.batch_alter_table("sync_index") as batch:
        batch.add_column(sa.Column("data", sa.LargeBinary(), nullable=False))
