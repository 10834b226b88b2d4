"""The findings CSV export is produced in pieces as the findings are read, in the list's order."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from sqlmodel import Session

from app.findings.csv_export import COLUMNS, findings_csv_chunks
from app.findings.models import Finding
from app.findings.review import FindingFilter, list_findings
from tests.findings.factories import create_application, days_ago


def test_the_csv_comes_in_pieces_holding_every_listed_finding_once_in_order(
    session: Session,
) -> None:
    app = create_application(session, name="Figma")
    for i in range(7):
        session.add(
            Finding(
                key=f"unused_seat:{i}", kind="unused_seat", severity=("high", "low")[i % 2],
                application_id=app.id, subject=f"u{i}@example.com",
                evidence={"days": i, "note": "=cmd"}, monthly_savings=Decimal(10 + i),
                currency="EUR", first_seen=days_ago(3), last_seen=days_ago(1),
                status="resolved" if i == 6 else "open",
            )
        )  # fmt: skip
    session.flush()

    pieces = list(findings_csv_chunks(session=session, flt=FindingFilter(), rows_per_chunk=2))

    assert len(pieces) == 4  # header and two rows, two rows, two rows, nothing left over
    rows = list(csv.DictReader(io.StringIO("".join(pieces))))
    listed, total, _ = list_findings(session=session, flt=FindingFilter())
    assert total == 6 and [r["key"] for r in rows] == [f.key for f in listed]
    first = rows[0]
    assert list(first) == list(COLUMNS)
    assert first["application"] == "Figma" and first["monthly_savings"] == "14.00"
    assert first["evidence"] == '{"days": 4, "note": "=cmd"}'
    assert first["last_seen"] == listed[0].model_dump(mode="json")["last_seen"]
