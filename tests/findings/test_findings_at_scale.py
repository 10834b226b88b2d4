"""Findings at scale: the CSV export comes in pieces as the findings are read, in the list's
order; a bulk review reads and writes them together."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from sqlmodel import Session, col, select

from app.auth.models import AuditLog
from app.findings.bulk import review_many
from app.findings.csv_export import COLUMNS, findings_csv_chunks
from app.findings.models import Finding
from app.findings.review import FindingFilter, list_findings
from tests.findings.factories import create_application, days_ago
from tests.statements import counted


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


def _findings(session: Session, count: int, start: int = 0) -> list[str]:
    app = create_application(session, name=f"App {start}")
    keys = [f"unused_seat:bulk-{start + i}" for i in range(count)]
    for key in keys:
        session.add(Finding(key=key, kind="unused_seat", application_id=app.id, subject=key,
                            first_seen=days_ago(3), last_seen=days_ago(1)))  # fmt: skip
    session.flush()
    return keys


def test_bulk_review_sends_as_many_statements_for_100_findings_as_for_3(
    session: Session,
) -> None:
    engine = session.get_bind()
    few, many = _findings(session, 3), _findings(session, 100, start=3)
    counts = []
    for keys in (few, many):
        with counted(engine) as seen:  # type: ignore[arg-type]
            result = review_many(session=session, keys=[*keys, "nope"], status="dismissed",
                                 by="am@example.com", reason="kept on purpose")  # fmt: skip
        assert result.changed == keys and list(result.refused) == ["nope"]
        counts.append(len(seen))
    assert counts[0] == counts[1]
    stored = session.exec(select(Finding).where(col(Finding.key).in_(many))).all()
    assert {(f.status, f.status_reason, f.status_by) for f in stored} == {
        ("dismissed", "kept on purpose", "am@example.com")
    }
    audits = session.exec(select(AuditLog).where(AuditLog.action == "finding.dismiss")).all()
    assert len(audits) == 103 and audits[0].details["previous_status"] == "open"
    resolved = _findings(session, 1, start=200)
    stored_resolved = session.exec(select(Finding).where(Finding.key == resolved[0])).one()
    stored_resolved.status = "resolved"
    again = review_many(session=session, keys=[*few, *resolved], status="open", by="am", reason="")
    assert again.changed == few and "is resolved" in again.refused[resolved[0]]
