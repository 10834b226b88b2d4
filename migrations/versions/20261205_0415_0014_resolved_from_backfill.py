"""The status findings resolved before revision 0013 were resolved from, recovered.

0013 added ``resolved_from`` empty. A finding dismissed and then resolved by a run of
an older version (an ``analyze --as-of`` in the past, a sync that briefly lacked the
seat) therefore came back ``open`` on its next run after the upgrade, its dismissal
and reason overwritten: the loss 0013 exists to prevent. The status is recoverable.
Resolving never touched ``status_by``/``status_reason``: a finding whose status was
last set by ``analyze`` (or never set) was open; one last reviewed by a person had the
status of that person's latest review of it in the audit log (``finding.dismiss``,
``finding.acknowledge``, ``finding.reopen``). Rows with neither stay empty (a
reopen, as before).

Revision ID: 0014_resolved_from_backfill
Revises: 0013_finding_resolved_from
Create Date: 2026-12-05 04:15:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0014_resolved_from_backfill"
down_revision: str | None = "0013_finding_resolved_from"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "UPDATE finding SET resolved_from = CASE"
        " WHEN status_by IS NULL OR status_by = 'analyze' THEN 'open'"
        " ELSE (SELECT CASE a.action WHEN 'finding.dismiss' THEN 'dismissed'"
        " WHEN 'finding.acknowledge' THEN 'acknowledged' ELSE 'open' END"
        " FROM audit_log a WHERE a.target = finding.key AND a.actor = finding.status_by"
        " AND a.action IN ('finding.dismiss', 'finding.acknowledge', 'finding.reopen')"
        " ORDER BY a.id DESC LIMIT 1)"
        " END"
        " WHERE status = 'resolved' AND resolved_from IS NULL"
    )


def downgrade() -> None:
    """Nothing to undo: the recovered statuses are what 0013 would have recorded."""
