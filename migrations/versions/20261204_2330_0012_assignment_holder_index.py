"""Seats counted per product from the index alone: ``account_id`` joins the product index.

Every seat count (the renewals page and API, renewal e-mails, the products listing,
the pages' cached counts) reads a product's live assignments and joins each to its
account. With ``(product_id, removed_at)`` each assignment row was then read from the
table for its ``account_id``: about 600,000 random reads for the contracted products of
a 100,000-person tenant. With ``account_id`` in the index the count reads the index
only (2.1-3.0 s became 0.7-1.0 s on SQLite). It replaces the narrower index, whose
every use it serves.

Revision ID: 0012_assignment_holder_index
Revises: 0011_sync_run_process
Create Date: 2026-12-04 23:30:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012_assignment_holder_index"
down_revision: str | None = "0011_sync_run_process"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.drop_index("ix_assignment_product_id_removed_at")
        batch_op.create_index(
            "ix_assignment_product_id_removed_at_account_id",
            ["product_id", "removed_at", "account_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.drop_index("ix_assignment_product_id_removed_at_account_id")
        batch_op.create_index(
            "ix_assignment_product_id_removed_at", ["product_id", "removed_at"], unique=False
        )
