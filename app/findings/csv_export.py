"""Findings as CSV (the UI's export and ``GET /api/v1/findings/export``)."""

from __future__ import annotations

import csv
import io
import json

from sqlmodel import Session

from app.core.cells import csv_text
from app.findings import review
from app.findings.review import FindingFilter

COLUMNS = (
    "key",
    "kind",
    "severity",
    "status",
    "application",
    "product",
    "subject",
    "monthly_savings",
    "currency",
    "first_seen",
    "last_seen",
    "status_reason",
    "status_by",
    "evidence",
)


def findings_csv(*, session: Session, flt: FindingFilter) -> str:
    """Every finding the filter matches, one CSV row each."""
    items, _, _ = review.list_findings(session=session, flt=flt)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for f in items:
        data = f.model_dump(mode="json")
        data["evidence"] = json.dumps(f.evidence, sort_keys=True, default=str)
        writer.writerow([csv_text(data.get(c)) for c in COLUMNS])
    return out.getvalue()
