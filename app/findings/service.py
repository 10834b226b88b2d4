"""Run the analytics over the inventory and keep the findings table in step.

``analyze`` loads the frames, runs every rule and upserts findings by their stable key
in the caller's transaction (the edge commits once):

* a new key is inserted ``open`` with ``first_seen`` now;
* an existing key gets its facts and ``last_seen`` updated; an ``acknowledged`` or
  ``dismissed`` finding keeps its status unless its fingerprint (the material facts,
  see ``app.findings.fingerprint``) changed, then it is reopened;
* a ``resolved`` finding produced again is reopened, unless it was resolved from
  ``dismissed`` and comes back with the same material and episode facts
  (``app.findings.fingerprint``): then it is dismissed again, with its reason ("stays
  dismissed across runs until its facts change materially" — a run in between that did
  not produce it, such as an ``--as-of`` in the past, changed nothing, even when the
  finding comes back on a later day with its day counts moved on);
* a finding not produced any more is marked ``resolved`` with ``resolved_at``, and the
  status it had in ``resolved_from``.

Rows are read and written in bulk (Core selects, executemany inserts and updates), so a
run over a million assignments stays within seconds.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson
import sqlalchemy as sa
from sqlmodel import Session

from analytics.model import Finding as AnalysisFinding
from app.auth.service import audit
from app.core.db import utcnow
from app.core.errors import SeatwiseError
from app.core.settings import Settings
from app.findings.bulk_write import FindingWriter
from app.findings.catalog_service import effective_catalog
from app.findings.fingerprint import EPISODE_EVIDENCE, episode_facts, fingerprint, material_part
from app.findings.frames_loader import load_frames
from app.findings.models import Finding
from app.findings.policies import analysis_policy

OPEN = "open"
ACKNOWLEDGED = "acknowledged"
DISMISSED = "dismissed"
RESOLVED = "resolved"
STATUSES = (OPEN, ACKNOWLEDGED, DISMISSED, RESOLVED)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class AnalysisSummary:
    """What one analysis found and changed."""

    as_of: date
    counts: dict[str, int]
    total_monthly_savings: dict[str, Decimal]
    new: int
    resolved: int
    reopened: int
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """Return the summary as the JSON the CLI and API print."""
        return {
            "as_of": self.as_of.isoformat(),
            "counts": dict(sorted(self.counts.items())),
            "total_monthly_savings": {
                c: str(v.quantize(CENT)) for c, v in sorted(self.total_monthly_savings.items())
            },
            "new": self.new,
            "resolved": self.resolved,
            "reopened": self.reopened,
            "warnings": list(self.warnings),
        }


def _json_default(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, (date, datetime)):
        return obj.isoformat()
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    if hasattr(obj, "item"):  # numpy scalars
        return obj.item()
    raise TypeError(f"cannot store {type(obj).__name__} in finding evidence")


def evidence_json(evidence: dict[str, Any]) -> str:
    """Serialise evidence once (numpy scalars, Decimals, dates and sets made plain)."""
    return orjson.dumps(evidence, default=_json_default, option=orjson.OPT_SERIALIZE_NUMPY).decode()


def analyze(*, session: Session, settings: Settings, today: date) -> AnalysisSummary:
    """Run every analytics rule as of ``today`` and upsert the findings."""
    from analytics.engine import run_all  # the rules load only when an analysis runs

    catalog = effective_catalog(session=session)
    frames = load_frames(session=session, today=today, catalog=catalog)
    policy = analysis_policy(session=session, settings=settings)
    result = run_all(frames, policy, today)
    findings = list(result.findings)
    warnings: list[str] = []
    findings.extend(_budget_findings(session=session, today=today, warnings=warnings))
    summary = store_findings(
        session=session,
        findings=findings,
        today=today,
        timings=result.timings,
        # A budget check that could not run says nothing about the budgets: their
        # findings stay as they were instead of being resolved.
        unchecked=("budget_overrun",) if warnings else (),
    )
    return dataclasses.replace(summary, warnings=warnings)


def _budget_findings(
    *, session: Session, today: date, warnings: list[str]
) -> list[AnalysisFinding]:
    """``budget_overrun`` findings; a budget check that cannot run is a warning, not a failure.

    Budgets need spend converted to the budget's currency, so a missing FX rate would
    otherwise stop every other finding from being refreshed.
    """
    from app.spend.budgets import budget_overrun_findings
    from app.spend.models import Budget

    if session.execute(sa.select(sa.func.count()).select_from(Budget)).scalar_one() == 0:
        return []
    try:
        return list(budget_overrun_findings(session=session, today=today))
    except SeatwiseError as exc:
        warnings.append(f"budget check skipped: {exc}")
        return []


def _dismissed_episodes(
    session: Session, table: sa.Table, unchecked: tuple[str, ...]
) -> dict[str, dict[str, Any]]:
    """Return the episode facts of findings resolved while dismissed, by key.

    Only these can be dismissed again when produced anew, and only kinds with episode
    facts need their stored evidence read.
    """
    query = sa.select(table.c.key, table.c.kind, table.c.evidence).where(
        table.c.status == RESOLVED,
        table.c.resolved_from == DISMISSED,
        table.c.kind.in_(sorted(EPISODE_EVIDENCE)),
        table.c.kind.not_in(unchecked),
    )
    out: dict[str, dict[str, Any]] = {}
    for key, kind, evidence in session.execute(query):
        stored = orjson.loads(evidence) if isinstance(evidence, (str, bytes)) else evidence
        out[key] = episode_facts(kind, stored or {})
    return out


def _plain(facts: dict[str, Any]) -> dict[str, Any]:
    """Return facts as stored evidence reads back (JSON types), to compare with it."""
    loaded: dict[str, Any] = orjson.loads(evidence_json(facts))
    return loaded


def store_findings(
    *,
    session: Session,
    findings: list[AnalysisFinding],
    today: date,
    timings: dict[str, float] | None = None,
    unchecked: tuple[str, ...] = (),
) -> AnalysisSummary:
    """Upsert one analysis's findings by key and resolve the ones not produced.

    Findings of the kinds in ``unchecked`` (a check that could not run) are not resolved.
    """
    now = utcnow()
    table = Finding.__table__  # type: ignore[attr-defined]
    existing = {
        row.key: row
        for row in session.execute(
            sa.select(
                table.c.id,
                table.c.key,
                table.c.status,
                table.c.fingerprint,
                table.c.resolved_from,
                table.c.status_reason,
                table.c.status_by,
                table.c.status_at,
            ).where(table.c.kind.not_in(unchecked))
        )
    }
    episodes = _dismissed_episodes(session, table, unchecked)
    out = FindingWriter(session)
    stamp = out.time(now)
    inserts: list[tuple[Any, ...]] = []
    updates: list[tuple[Any, ...]] = []
    statuses: list[tuple[str, str | None, str | None, Any, Any, int]] = []
    reopened: list[tuple[str, str]] = []
    counts: Counter[str] = Counter()
    totals: dict[str, Decimal] = {}
    produced: set[str] = set()
    for f in findings:
        produced.add(f.key)
        counts[f.kind] += 1
        evidence = evidence_json(f.evidence)
        fp = fingerprint(f, evidence)
        row = existing.get(f.key)
        # The total is what is still to act on, as the dashboard's: a finding that stays
        # dismissed (its facts unchanged) is left out.
        # Dismissed, facts materially the same; or resolved from dismissed and back in
        # the same situation (an --as-of in the past, a sync that briefly lacked it), on
        # any day: material and episode facts alike, day counts aside. A holder who
        # became active and went idle again is a new story (a newer last_active_at).
        stays_dismissed = row is not None and (
            (row.status == DISMISSED and material_part(row.fingerprint) == material_part(fp))
            or (
                row.status == RESOLVED
                and row.resolved_from == DISMISSED
                and material_part(row.fingerprint) == material_part(fp)
                and episodes.get(f.key, {}) == _plain(episode_facts(f.kind, f.evidence))
            )
        )
        if f.monthly_savings is not None and f.currency and not stays_dismissed:
            totals[f.currency] = totals.get(f.currency, Decimal(0)) + f.monthly_savings
        if row is None:
            inserts.append(
                (f.key, f.kind, f.severity, f.application_id, f.product_id, f.subject[:500],
                 evidence, fp, out.money(f.monthly_savings), f.currency, OPEN, stamp, stamp)
            )  # fmt: skip
            continue
        if row.status == RESOLVED and stays_dismissed:
            statuses.append((DISMISSED, row.status_reason, row.status_by,
                             out.time(row.status_at), None, row.id))  # fmt: skip
        elif row.status == RESOLVED or (
            row.status in (ACKNOWLEDGED, DISMISSED)
            and material_part(row.fingerprint) != material_part(fp)
        ):
            why = "produced again" if row.status == RESOLVED else "facts changed"
            reopened.append((f.key, f"{why} (was {row.status})"))
            statuses.append((OPEN, f"reopened: {why} (was {row.status})", "analyze", stamp, None,
                             row.id))  # fmt: skip
        if row.fingerprint != fp:
            updates.append(
                (f.severity, f.application_id, f.product_id, f.subject[:500], evidence, fp,
                 out.money(f.monthly_savings), f.currency, stamp, row.id)
            )  # fmt: skip
    gone = [r.id for k, r in existing.items() if k not in produced and r.status != RESOLVED]
    out.resolve(gone, now)
    out.set_status(statuses)
    session.execute(
        sa.update(table)
        .where(table.c.status != RESOLVED, table.c.last_seen < now)
        .values(last_seen=now)
    )
    out.update(updates)
    out.insert(inserts)
    for key, why in reopened:
        if why.startswith("facts changed"):
            audit(session=session, actor="analyze", action="finding.reopen", target=key, why=why)
    session.flush()
    return AnalysisSummary(
        as_of=today,
        counts=dict(counts),
        total_monthly_savings=totals,
        new=len(inserts),
        resolved=len(gone),
        reopened=len(reopened),
        timings=dict(timings or {}),
    )
