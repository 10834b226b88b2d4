"""The status a finding had when it was resolved, so a dismissal outlives a gap.

"A dismissed finding stays dismissed across runs until its facts change materially"
(issue 5). A finding that stopped being produced for a while (an ``analyze --as-of``
in the past, a sync that briefly lacked data, a holder active for a week) was resolved,
and produced again it came back ``open``: its dismissal, reason and all, was lost.
``resolved_from`` keeps the status the finding was resolved from; produced again with
the very facts it had, a dismissed finding is dismissed again.

Revision ID: 0013_finding_resolved_from
Revises: 0012_assignment_holder_index
Create Date: 2026-12-05 00:30:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_finding_resolved_from"
down_revision: str | None = "0012_assignment_holder_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("finding", sa.Column("resolved_from", sa.String(length=20), nullable=True))


def downgrade() -> None:
    op.drop_column("finding", "resolved_from")
