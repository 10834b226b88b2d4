"""Counting a product's live seats with their holders' activity reads the index, not the table."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from app.notify.figures import contract_figures_many
from tests.spend.spend_rows import application, contract, person, product, seat


def test_the_seat_count_joins_assignments_to_accounts_from_a_covering_index(
    session: Session,
) -> None:
    office = application(session, "Microsoft 365", "Microsoft")
    e3 = product(session, office, "E3")
    sub = contract(session, office, "MS-1", product_id=e3.id, seats=5, unit_price=10)
    for i in range(3):
        seat(session, person(session, f"p{i}@example.com", None, None), e3)
    session.flush()
    sent: list[tuple[str, Any]] = []

    def note(_c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    engine = session.get_bind().engine
    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        figures = contract_figures_many(session=session, subscriptions=[sub], as_of=date.today())
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)
    assert figures[int(sub.id or 0)].seats_assigned == 3
    [(statement, parameters)] = [(s, p) for s, p in sent if "count(assignment.id)" in s]
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        plan = " ".join(
            str(row[-1])
            for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        )
        assert "COVERING INDEX ix_assignment_product_id_removed_at_account_id" in plan, plan
    else:  # PostgreSQL picks by statistics; the index must at least hold the join's column.
        columns = connection.execute(
            sa.text(
                "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema()"
                " AND tablename = 'assignment'"
                " AND indexname = 'ix_assignment_product_id_removed_at_account_id'"
            )
        ).scalar_one()
        assert "(product_id, removed_at, account_id)" in columns
