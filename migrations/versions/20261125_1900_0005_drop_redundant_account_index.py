"""Drop the account index on connector_id alone.

The unique constraint on ``(connector_id, external_id)`` already gives an index whose
leading column is ``connector_id``, and every lookup by connector uses it. The second
index only cost time on every account the sync inserts or changes.

Revision ID: 0005_account_index
Revises: 0004_notification_setting
Create Date: 2026-11-25 19:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005_account_index"
down_revision: str | None = "0004_notification_setting"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_index("ix_account_connector_id")


def downgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.create_index("ix_account_connector_id", ["connector_id"], unique=False)
