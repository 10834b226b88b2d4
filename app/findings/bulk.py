"""Review many findings at once (the UI's bulk acknowledge / dismiss, and its API twin)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from app.core.errors import InvalidInputError, SeatwiseError
from app.findings import review
from app.findings.models import Finding

BULK_STATUSES = ("acknowledged", "dismissed", "open")
MAX_BULK = 1000


@dataclass
class BulkResult:
    """Which findings changed and which were refused, with the reason for each."""

    changed: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)


def review_many(
    *, session: Session, keys: Sequence[str], status: str, by: str, reason: str | None
) -> BulkResult:
    """Set the status of each finding; a dismissal needs a reason (checked before any change)."""
    if status not in BULK_STATUSES:
        raise InvalidInputError(
            f"cannot set status {status!r}; expected one of {', '.join(BULK_STATUSES)}"
        )
    unique = list(dict.fromkeys(k.strip() for k in keys if k.strip()))
    if not unique:
        raise InvalidInputError("select at least one finding")
    if len(unique) > MAX_BULK:
        raise InvalidInputError(f"at most {MAX_BULK} findings at once (got {len(unique)})")
    if status == "dismissed" and not (reason or "").strip():
        raise InvalidInputError("a reason is required to dismiss findings")
    clean_reason = (reason or "").strip() or None
    # The findings are read in one query and changed in one UPDATE (a thousand, one by one,
    # took 6,000 statements and seconds); each is checked as ``set_status`` checks it.
    found = {f.key: f for f in session.exec(select(Finding).where(col(Finding.key).in_(unique)))}
    result = BulkResult()
    reviewed = []
    for key in unique:
        try:
            reviewed.append(review.reviewable(found.get(key), key))
        except SeatwiseError as exc:
            result.refused[key] = str(exc)
            continue
        result.changed.append(key)
    review.apply_review(
        session=session, findings=reviewed, status=status, by=by, reason=clean_reason
    )
    return result
