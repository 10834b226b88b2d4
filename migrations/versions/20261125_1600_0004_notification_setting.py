"""Admin overrides of the notification settings (recipients, schedules, thresholds).

Revision ID: 0004_notification_setting
Revises: 0003_page_indexes
Create Date: 2026-11-25 16:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from app.core.db import UTCDateTime

revision: str = "0004_notification_setting"
down_revision: str | None = "0003_page_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notification_setting",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column(
            "value",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=320), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_notification_setting")),
    )


def downgrade() -> None:
    op.drop_table("notification_setting")
