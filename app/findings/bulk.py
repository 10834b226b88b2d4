"""Review many findings at once (the UI's bulk acknowledge / dismiss, and its API twin)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlmodel import Session

from app.core.errors import InvalidInputError, SeatwiseError
from app.findings import review

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
    result = BulkResult()
    for key in unique:
        try:
            with session.begin_nested():
                review.set_status(session=session, key=key, status=status, by=by, reason=reason)
            result.changed.append(key)
        except SeatwiseError as exc:
            result.refused[key] = str(exc)
    return result
