"""One budget per department (or cost centre) and year, enforced by the database.

The unique key over (department, cost_centre, year) never fired: a budget names one of
the two and leaves the other NULL, and NULLs are never equal. Two partial unique
indexes replace it, and a check that exactly one of the two is set. Duplicates left by
two concurrent ``budget set`` are folded first: the latest (highest id) stays. A row
naming both or neither (never written by Seatwise) stops the upgrade, naming its id.

Revision ID: 0010_budget_unique_scope
Revises: 0009_login_sessions
Create Date: 2026-12-03 15:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_budget_unique_scope"
down_revision: str | None = "0009_login_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCOPES = (("department", "cost_centre"), ("cost_centre", "department"))


def upgrade() -> None:
    both_or_neither = op.get_bind().execute(
        sa.text(
            "SELECT id FROM budget WHERE (department IS NULL) = (cost_centre IS NULL) ORDER BY id"
        )
    )
    ids = [str(row[0]) for row in both_or_neither]
    if ids:  # only hand-made rows: Seatwise never wrote one; which scope is meant is theirs
        raise RuntimeError(
            f"budget rows {', '.join(ids)} name both a department and a cost centre, or "
            "neither; give each exactly one (or delete it) and upgrade again"
        )
    for scope, other in SCOPES:
        op.execute(
            f"DELETE FROM budget WHERE {other} IS NULL AND id < ("  # noqa: S608
            f"SELECT MAX(b.id) FROM budget b WHERE b.{other} IS NULL "
            f"AND b.{scope} = budget.{scope} AND b.year = budget.year)"
        )
    with op.batch_alter_table("budget") as batch:
        batch.drop_constraint("uq_budget_department_cost_centre_year", type_="unique")
        batch.create_check_constraint(
            "one_scope", sa.text("(department IS NULL) <> (cost_centre IS NULL)")
        )
    for scope, other in SCOPES:
        where = sa.text(f"{other} IS NULL")
        op.create_index(
            f"uq_budget_{scope}_year",
            "budget",
            [scope, "year"],
            unique=True,
            sqlite_where=where,
            postgresql_where=where,
        )


def downgrade() -> None:
    for scope, _ in SCOPES:
        op.drop_index(f"uq_budget_{scope}_year", table_name="budget")
    with op.batch_alter_table("budget") as batch:
        batch.drop_constraint(op.f("ck_budget_one_scope"), type_="check")
        batch.create_unique_constraint(
            "uq_budget_department_cost_centre_year", ["department", "cost_centre", "year"]
        )
