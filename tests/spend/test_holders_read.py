"""A spend report by department reads only the seats of the products its contracts pay for."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from sqlmodel import Session

from app.spend import allocation
from app.spend.service import spend_reports
from tests.spend.spend_rows import application, contract, person, product, seat


def test_seats_of_products_no_contract_pays_for_are_not_read(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    office = application(session, "Microsoft 365", "Microsoft")
    e3 = product(session, office, "E3")
    free = product(session, office, "Teams Exploratory")  # no contract: costs nothing
    contract(session, office, "MS-1", product_id=e3.id, seats=2, unit_price=1200,
             billing_cycle="annual")  # fmt: skip
    for i in range(2):
        seat(session, person(session, f"s{i}@example.com", "Sales", None), e3)
    for i in range(20):
        seat(session, person(session, f"e{i}@example.com", "Engineering", None), free)
    session.flush()
    read: list[pd.DataFrame] = []
    load = allocation.load_holders

    def spy(**kw: Any) -> pd.DataFrame:
        read.append(load(**kw))
        return read[-1]

    monkeypatch.setattr(allocation, "load_holders", spy)
    [report] = spend_reports(session=session, by=["department"], first=2026 * 12,
                             last=2026 * 12 + 11, currency="EUR")  # fmt: skip

    assert [set(frame["product_id"]) for frame in read] == [{e3.id}]
    assert {row.key for row in report.rows} == {"Sales"}
