"""Covering indexes on findings for the dashboard and findings pages.

Revision ID: 0003_page_indexes
Revises: 0002_free_seat_alert
Create Date: 2026-11-25 15:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003_page_indexes"
down_revision: str | None = "0002_free_seat_alert"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("finding", schema=None) as batch_op:
        batch_op.create_index(
            "ix_finding_status_totals",
            ["status", "kind", "application_id", "currency", "monthly_savings"],
            unique=False,
        )
        batch_op.create_index(
            "ix_finding_status_order",
            ["status", "severity", "monthly_savings", "key"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("finding", schema=None) as batch_op:
        batch_op.drop_index("ix_finding_status_order")
        batch_op.drop_index("ix_finding_status_totals")
