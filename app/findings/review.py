"""Reading and reviewing findings: filtered lists, acknowledge, dismiss, reopen.

Review decisions are recorded on the finding (status, reason, who, when) and in the
audit log. A dismissal needs a reason. A resolved finding cannot be reviewed: it is no
longer produced (it reopens on its own if the analysis produces it again).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.auth.service import audit_many
from app.core.db import MAX_ROW_ID, utcnow
from app.core.errors import ConflictError, InvalidInputError, NotFoundError, check_choice
from app.findings.fingerprint import MATERIAL_EVIDENCE
from app.findings.models import Finding
from app.findings.schemas import FindingRead
from app.findings.service import ACKNOWLEDGED, DISMISSED, OPEN, RESOLVED, STATUSES
from app.inventory.models import Application, Product

CENT = Decimal("0.01")
SEVERITY_ORDER = ("critical", "high", "medium", "low")
ACTIONS = {
    ACKNOWLEDGED: "finding.acknowledge",
    DISMISSED: "finding.dismiss",
    OPEN: "finding.reopen",
}


@dataclass(frozen=True)
class FindingFilter:
    """Which findings to list; ``status`` None means every status but ``resolved``."""

    kind: str | None = None
    status: str | None = None
    application: str | None = None
    severity: str | None = None
    product: str | None = None
    """A product (SKU) id: the findings about that product only (a renewal e-mail links
    to its contract's product's, which its application's would bury)."""


def _conditions(session: Session, flt: FindingFilter) -> list[Any]:
    """The filter as SQL conditions; an unknown status, severity or kind is a 422 naming
    the allowed ones, an application no name or id matches a 404 naming it."""
    conditions: list[Any] = []
    check_choice(flt.status, STATUSES, "status")
    check_choice(flt.severity, SEVERITY_ORDER, "severity")
    if flt.kind is not None:
        check_choice(flt.kind, known_kinds(session=session), "kind")
        conditions.append(col(Finding.kind) == flt.kind)
    if flt.status is None:
        conditions.append(col(Finding.status) != RESOLVED)
    else:
        conditions.append(col(Finding.status) == flt.status)
    if flt.severity is not None:
        conditions.append(col(Finding.severity) == flt.severity)
    if flt.product is not None:
        product = flt.product.strip()
        if not (product.isascii() and product.isdigit() and int(product) <= MAX_ROW_ID):
            raise InvalidInputError(f"product must be a product id, got {flt.product!r}")
        conditions.append(col(Finding.product_id) == int(product))
    if flt.application is not None:
        # The applications are looked up first, so the findings are read by their
        # application index rather than joined and compared name by name.
        name = flt.application.strip()
        match = sa.func.lower(col(Application.name)) == name.lower()
        if name.isascii() and name.isdigit() and int(name) <= MAX_ROW_ID:
            match = match | (col(Application.id) == int(name))
        ids = session.exec(select(col(Application.id)).where(match)).all()
        if not ids:
            raise NotFoundError(
                f"no application named {name!r} (nor with that id); the applications: "
                "GET /api/v1/applications or `seatwise inventory applications`"
            )
        conditions.append(col(Finding.application_id).in_(ids))
    return conditions


def _money(value: Any) -> str | None:
    if value is None:
        return None
    return str(Decimal(str(value)).quantize(CENT))


def _read(row: Any) -> FindingRead:
    f: Finding = row[0]
    return FindingRead(
        key=f.key,
        kind=f.kind,
        severity=f.severity,
        application=row[1],
        product=row[2],
        subject=f.subject,
        monthly_savings=_money(f.monthly_savings),
        currency=f.currency,
        status=f.status,
        evidence=dict(f.evidence or {}),
        first_seen=f.first_seen,
        last_seen=f.last_seen,
        status_reason=f.status_reason,
        status_by=f.status_by,
        status_at=f.status_at,
        resolved_at=f.resolved_at,
    )


def _base(*columns: Any) -> Any:
    return (
        select(*columns)
        .select_from(Finding)
        .outerjoin(Application, col(Application.id) == col(Finding.application_id))
        .outerjoin(Product, col(Product.id) == col(Finding.product_id))
    )


def _order() -> tuple[Any, ...]:
    """The lists' order: most severe first, then the largest savings, then by key."""
    severity_rank = sa.case(
        {s: i for i, s in enumerate(SEVERITY_ORDER)}, value=col(Finding.severity), else_=9
    )
    return (
        severity_rank,
        col(Finding.monthly_savings).is_(None),
        col(Finding.monthly_savings).desc(),
        col(Finding.key),
    )


def check_filter(*, session: Session, flt: FindingFilter) -> None:
    """Refuse a filter :func:`list_findings` would refuse (unknown status, kind, application)."""
    _conditions(session, flt)


def iter_findings(
    *, session: Session, flt: FindingFilter, batch: int = 1000
) -> Iterator[FindingRead]:
    """Every finding the filter matches, in the list's order, read ``batch`` rows at a time
    as plain columns (an export of 100,000 findings never holds them all)."""
    table = Finding.__table__  # type: ignore[attr-defined]
    statement = (
        _base(
            *table.columns,
            col(Application.name).label("_application"),
            col(Product.external_id).label("_product"),
        )
        .where(*_conditions(session, flt))
        .order_by(*_order())
        .execution_options(yield_per=batch)
    )
    for row in session.execute(statement):
        yield _read((row, row._application, row._product))


def list_findings(
    *, session: Session, flt: FindingFilter, limit: int | None = None, offset: int = 0
) -> tuple[list[FindingRead], int, dict[str, str]]:
    """Return a page of findings, the number matching, and their savings per currency."""
    conditions = _conditions(session, flt)
    order = _order()
    # The page is chosen on the findings table alone; only its rows are then joined.
    page = select(col(Finding.id)).where(*conditions).order_by(*order).offset(offset)
    if limit is not None:
        page = page.limit(limit)
    statement = (
        _base(Finding, col(Application.name), col(Product.external_id))
        .where(col(Finding.id).in_(page))
        .order_by(*order)
    )
    items = [_read(r) for r in session.exec(statement).all()]
    total = session.exec(select(sa.func.count()).select_from(Finding).where(*conditions)).one()
    # Savings count what is still to act on: without a status filter, dismissed and
    # resolved findings are listed but their savings are not added up.
    actionable = [col(Finding.status).in_(("open", "acknowledged"))] if flt.status is None else []
    sums = session.exec(
        select(col(Finding.currency), sa.func.sum(col(Finding.monthly_savings)))
        .where(*conditions, *actionable, col(Finding.monthly_savings).is_not(None))
        .group_by(col(Finding.currency))
    ).all()
    savings = {str(c): _money(s) or "0.00" for c, s in sums if c is not None}
    return items, int(total), dict(sorted(savings.items()))


def known_kinds(*, session: Session) -> list[str]:
    """Return every kind the analytics produce, plus any kind already stored."""
    stored = session.exec(select(Finding.kind).distinct()).all()
    # Budget overruns come from the spend side (``app.spend.budgets``), not the rules.
    return sorted({*MATERIAL_EVIDENCE, "budget_overrun", *stored})


def get_finding(*, session: Session, key: str) -> FindingRead:
    """Return one finding by key, or raise NotFound."""
    row = session.exec(
        _base(Finding, col(Application.name), col(Product.external_id)).where(
            col(Finding.key) == key
        )
    ).first()
    if row is None:
        raise NotFoundError(f"no finding with key {key!r}; see `seatwise findings list`")
    return _read(row)


def reviewable(finding: Finding | None, key: str) -> Finding:
    """The finding read for ``key``; refuse a missing or a resolved one."""
    if finding is None:
        raise NotFoundError(f"no finding with key {key!r}; see `seatwise findings list`")
    if finding.status == RESOLVED:
        raise ConflictError(f"finding {key!r} is resolved (no longer produced); nothing to review")
    return finding


def apply_review(
    *, session: Session, findings: Sequence[Finding], status: str, by: str, reason: str | None
) -> None:
    """Set the reviewed ``findings``' status in one UPDATE and audit each decision (with
    its previous status) in one INSERT: one finding from the CLI or a thousand from a bulk
    review take the same two statements."""
    if not findings:
        return
    # Read before the UPDATE, which refreshes the loaded findings' status.
    entries = [(f.key, {"previous_status": f.status, "reason": reason}) for f in findings]
    session.execute(
        sa.update(Finding)
        .where(col(Finding.id).in_([f.id for f in findings]))
        .values(status=status, status_reason=reason, status_by=by, status_at=utcnow())
        .execution_options(synchronize_session="evaluate")
    )
    audit_many(session=session, actor=by, action=ACTIONS[status], entries=entries)
    session.flush()


def set_status(
    *, session: Session, key: str, status: str, by: str, reason: str | None = None
) -> FindingRead:
    """Acknowledge, dismiss (reason required) or reopen a finding, and audit it."""
    if status not in (ACKNOWLEDGED, DISMISSED, OPEN):
        raise InvalidInputError(
            f"cannot set status {status!r}; expected acknowledged, dismissed or open"
        )
    clean_reason = (reason or "").strip() or None
    if status == DISMISSED and clean_reason is None:
        raise InvalidInputError("a reason is required to dismiss a finding (--reason)")
    finding = reviewable(session.exec(select(Finding).where(col(Finding.key) == key)).first(), key)
    apply_review(session=session, findings=[finding], status=status, by=by, reason=clean_reason)
    return get_finding(session=session, key=key)
