"""Findings as CSV (the UI's export and ``GET /api/v1/findings/export``)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

from sqlalchemy.engine import Engine
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


def findings_csv_chunks(
    *, session: Session, flt: FindingFilter, rows_per_chunk: int = 1000
) -> Iterator[str]:
    """Every finding the filter matches, one CSV row each, in pieces of ``rows_per_chunk``
    rows: read as they go, never all held at once."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for n, f in enumerate(review.iter_findings(session=session, flt=flt), start=1):
        data = f.model_dump(mode="json")
        data["evidence"] = json.dumps(f.evidence, sort_keys=True, default=str)
        writer.writerow([csv_text(data.get(c)) for c in COLUMNS])
        if n % rows_per_chunk == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def streamed_findings_csv(*, engine: Engine, flt: FindingFilter) -> Iterator[str]:
    """:func:`findings_csv_chunks` in a session of its own, for a response that is sent
    after the request's session has ended (check the filter first: a refusal found
    here could no longer change the response's status)."""
    with Session(engine) as session:
        yield from findings_csv_chunks(session=session, flt=flt)
