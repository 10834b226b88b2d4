"""Analysis thresholds: the global policy row, per-application overrides, and the defaults.

Settings ``SEATWISE_INACTIVE_DAYS`` and ``SEATWISE_NEVER_USED_GRACE_DAYS`` are the
defaults while no global row exists (or the row leaves a value empty); a per-application
row overrides one or both values for that application only. Contract horizons follow
the alert settings: ``renewal_due`` looks as far ahead as the furthest of
``SEATWISE_RENEWAL_ALERT_DAYS`` and ``trial_ending`` as the furthest of
``SEATWISE_TRIAL_ALERT_DAYS`` (the analytics defaults, 90 and 14, otherwise), as an
admin may have overridden them on the Settings page.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from analytics.model import ApplicationPolicy
from analytics.model import Policy as AnalysisPolicy
from app.auth.service import audit
from app.core.db import same_name, utcnow
from app.core.errors import InvalidInputError, NotFoundError
from app.core.settings import Settings
from app.findings.models import Policy
from app.inventory.models import Application
from app.notify.notification_settings import effective_settings


@dataclass(frozen=True)
class PolicyRow:
    """One policy as shown to users: which application (None = global) and its values."""

    application: str | None
    application_id: int | None
    inactive_days: int | None
    never_used_grace_days: int | None
    source: str  # "database" | "settings"


def find_application(*, session: Session, name: str) -> Application:
    """Find an application by name or catalogue key (case-insensitive), or raise NotFound."""
    clean = " ".join(name.split())
    found = (
        session.exec(select(Application).where(same_name(Application.name, clean))).first()
        or session.exec(
            select(Application).where(same_name(col(Application.catalog_key), clean))
        ).first()
    )
    if found is None:
        raise NotFoundError(f"unknown application {name!r}; see `seatwise policy list`")
    return found


MAX_DAYS = 36_500
"""A hundred years: longer windows mean nothing, and the databases' integers end soon after."""


def _check_days(name: str, value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or not 0 < value <= MAX_DAYS):
        raise InvalidInputError(
            f"{name} must be a positive number of days up to {MAX_DAYS}, got {value}"
        )


def set_policy(
    *,
    session: Session,
    application: str | None = None,
    inactive_days: int | None = None,
    never_used_grace_days: int | None = None,
    actor: str = "cli",
) -> Policy:
    """Set the global thresholds, or one application's overrides (values left None stay)."""
    _check_days("inactive_days", inactive_days)
    _check_days("never_used_grace_days", never_used_grace_days)
    if inactive_days is None and never_used_grace_days is None:
        raise InvalidInputError("give inactive_days and/or never_used_grace_days")
    app_id: int | None = None
    if application is not None:
        app_id = find_application(session=session, name=application).id
    row = session.exec(
        select(Policy).where(
            col(Policy.application_id).is_(None)
            if app_id is None
            else col(Policy.application_id) == app_id
        )
    ).first()
    if row is None:
        row = Policy(application_id=app_id)
        session.add(row)
    if inactive_days is not None:
        row.inactive_days = inactive_days
    if never_used_grace_days is not None:
        row.never_used_grace_days = never_used_grace_days
    row.updated_at = utcnow()
    session.flush()
    audit(
        session=session,
        actor=actor,
        action="policy.set",
        target=application or "global",
        inactive_days=row.inactive_days,
        never_used_grace_days=row.never_used_grace_days,
    )
    return row


def list_policies(*, session: Session, settings: Settings) -> list[PolicyRow]:
    """Return the effective global policy first, then every per-application override."""
    rows = session.exec(select(Policy, Application).outerjoin(Application)).all()
    global_row = next((p for p, _ in rows if p.application_id is None), None)
    out = [
        PolicyRow(
            application=None,
            application_id=None,
            inactive_days=_or(global_row, "inactive_days", settings.inactive_days),
            never_used_grace_days=_or(
                global_row, "never_used_grace_days", settings.never_used_grace_days
            ),
            source="settings" if global_row is None else "database",
        )
    ]
    overrides = sorted(
        ((p, a) for p, a in rows if p.application_id is not None and a is not None),
        key=lambda pa: pa[1].name.lower(),
    )
    out += [
        PolicyRow(
            application=a.name,
            application_id=a.id,
            inactive_days=p.inactive_days,
            never_used_grace_days=p.never_used_grace_days,
            source="database",
        )
        for p, a in overrides
    ]
    return out


def _or(row: Policy | None, name: str, default: int) -> int:
    value = None if row is None else getattr(row, name)
    return int(value) if value is not None else default


def analysis_policy(*, session: Session, settings: Settings) -> AnalysisPolicy:
    """Build the analytics ``Policy`` from the stored rows and the settings defaults."""
    rows = session.exec(select(Policy)).all()
    global_row = next((p for p in rows if p.application_id is None), None)
    per_app = {
        p.application_id: ApplicationPolicy(
            inactive_days=p.inactive_days, never_used_grace_days=p.never_used_grace_days
        )
        for p in rows
        if p.application_id is not None
    }
    return AnalysisPolicy(
        inactive_days=_or(global_row, "inactive_days", settings.inactive_days),
        never_used_grace_days=_or(
            global_row, "never_used_grace_days", settings.never_used_grace_days
        ),
        per_application=per_app,
        **_horizons(effective_settings(session=session, settings=settings)),
    )


def _horizons(settings: Settings) -> dict[str, int]:
    """Return contract alert horizons: the furthest alert day configured, where set."""
    out: dict[str, int] = {}
    for setting, horizon in (
        ("renewal_alert_days", "renewal_horizon_days"),
        ("trial_alert_days", "trial_horizon_days"),
    ):
        days = [d for d in getattr(settings, setting, None) or () if isinstance(d, int) and d >= 0]
        if days:
            out[horizon] = max(days)
    return out
