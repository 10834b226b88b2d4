"""The process running a sync, so that a run whose process was killed can be told apart.

A run records its own end; one whose process died outright (killed, a crash, a server
restarted under it) stayed ``running`` until the connector's next run, ten minutes or
more later, and its connector's page kept showing a sync in progress meanwhile. The
run now records ``host:pid:start`` (:mod:`app.core.process`); rows from before this
revision have none and are judged by age, as before.

Revision ID: 0011_sync_run_process
Revises: 0010_budget_unique_scope
Create Date: 2026-12-04 21:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_sync_run_process"
down_revision: str | None = "0010_budget_unique_scope"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("sync_run", sa.Column("process", sa.String(length=200), nullable=True))


def downgrade() -> None:
    op.drop_column("sync_run", "process")
