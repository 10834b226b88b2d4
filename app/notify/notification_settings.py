"""Notification settings admins change at run time: recipients, schedules, thresholds.

The environment (``SEATWISE_PROCUREMENT_EMAILS`` … ``SEATWISE_FREE_SEATS_THRESHOLD``, the
fields of :class:`~app.core.settings.NotificationSettings`) gives the defaults; a
``notification_setting`` row overrides one of them. Whatever sends or schedules e-mail
reads :func:`effective_settings` — the process's ``Settings`` with the overrides laid
over it — at the start of each run (the ``app.notify.dispatch`` runs, the scheduler's
``build_jobs``, the analysis horizons), so a change takes effect on the next run and the
scheduler's next poll, without a restart.

Overrides are validated by the very model that validates the environment, so the UI,
the API, the CLI and ``.env`` accept and refuse the same values; every change and reset
is written to the audit log.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.auth.service import audit
from app.core.db import utcnow
from app.core.errors import InvalidInputError, NotFoundError
from app.core.settings import NotificationSettings, Settings
from app.notify.models import NotificationSetting

log = logging.getLogger("seatwise.notify")

#: The overridable settings, in the order the Settings page shows them.
KEYS: tuple[str, ...] = tuple(NotificationSettings.model_fields)

Source = Literal["override", "environment"]


class NotificationSettingsInvalid(InvalidInputError):
    """Some values were refused; ``problems`` maps each refused setting to the reason."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        self.problems = dict(problems)
        super().__init__("; ".join(f"{key}: {why}" for key, why in self.problems.items()))


@dataclass(frozen=True)
class NotificationSettingView:
    """One setting as admins see it: the value in effect, the default, and where it is from."""

    key: str
    title: str
    description: str
    value: Any
    default: Any
    source: Source
    updated_at: datetime | None
    updated_by: str | None

    @property
    def text(self) -> str:
        """The value as typed in a form field (lists comma-separated, blank for none)."""
        return as_text(self.value)

    @property
    def default_text(self) -> str:
        """The environment default, as :attr:`text` shows values."""
        return as_text(self.default)


def as_text(value: Any) -> str:
    """A setting's value as a form shows it: ``a@x.com, b@x.com``; ``90, 30``; blank for None."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def validate_values(values: Mapping[str, object]) -> dict[str, Any]:
    """Validate and normalise settings as the environment would; JSON-ready values.

    Raises:
        NotificationSettingsInvalid: naming every unknown setting and every refused value.
    """
    problems = {
        key: f"not a notification setting (known: {', '.join(KEYS)})"
        for key in values
        if key not in KEYS
    }
    try:
        model = NotificationSettings.model_validate({k: v for k, v in values.items() if k in KEYS})
    except ValidationError as exc:
        for error in exc.errors():
            key = str(error["loc"][0]) if error["loc"] else "value"
            problems.setdefault(key, str(error["msg"]).removeprefix("Value error, "))
        raise NotificationSettingsInvalid(problems) from None
    if problems:
        raise NotificationSettingsInvalid(problems)
    return model.model_dump(mode="json", include=set(values))


def _overrides(session: Session) -> dict[str, NotificationSetting]:
    rows = session.exec(
        select(NotificationSetting).where(col(NotificationSetting.key).in_(KEYS))
    ).all()
    return {row.key: row for row in rows}


def _stored_values(rows: Mapping[str, NotificationSetting]) -> dict[str, Any]:
    """The stored overrides that still validate (a bad row is logged and ignored).

    Rows are validated when written; this guards against hand edits of the table, which
    must not stop every alert from going out.
    """
    values: dict[str, Any] = {}
    for key, row in rows.items():
        try:
            values.update(validate_values({key: row.value}))
        except NotificationSettingsInvalid as exc:
            log.error("ignoring the stored notification setting %s: %s", key, exc)
    return values


def effective_settings(*, session: Session, settings: Settings) -> Settings:
    """``settings`` with the admins' overrides applied: what sending and scheduling use."""
    return settings.model_copy(update=_stored_values(_overrides(session)))


def load_effective_settings(*, engine: Engine, settings: Settings) -> Settings:
    """:func:`effective_settings` in a session of its own, for runs holding only an engine."""
    with Session(engine) as session:
        return effective_settings(session=session, settings=settings)


def _defaults(settings: Settings) -> dict[str, Any]:
    return settings.model_dump(mode="json", include=set(KEYS))


def list_notification_settings(
    *, session: Session, settings: Settings
) -> list[NotificationSettingView]:
    """Every notification setting: the value in effect, its default and its source."""
    rows = _overrides(session)
    stored = _stored_values(rows)
    defaults = _defaults(settings)
    views = []
    for key in KEYS:
        field = NotificationSettings.model_fields[key]
        row = rows.get(key) if key in stored else None
        views.append(
            NotificationSettingView(
                key=key,
                title=field.title or key,
                description=field.description or "",
                value=stored.get(key, defaults[key]),
                default=defaults[key],
                source="override" if row is not None else "environment",
                updated_at=row.updated_at if row is not None else None,
                updated_by=row.updated_by if row is not None else None,
            )
        )
    return views


def update_notification_settings(
    *, session: Session, settings: Settings, values: Mapping[str, object], actor: str
) -> list[str]:
    """Override settings; the keys whose value changed.

    All or nothing: every value is validated before any is written. A value equal to
    the one in effect is left alone, so saving the whole Settings form records (and
    audits) only what the admin changed.
    """
    clean = validate_values(values)
    rows = _overrides(session)
    current = _defaults(settings) | _stored_values(rows)
    changed = []
    for key, value in clean.items():
        if value == current[key]:
            continue
        row = rows.get(key) or NotificationSetting(key=key, updated_by=actor)
        row.value, row.updated_at, row.updated_by = value, utcnow(), actor
        session.add(row)
        audit(
            session=session,
            actor=actor,
            action="notification_setting.set",
            target=key,
            before=current[key],
            after=value,
        )
        changed.append(key)
    session.flush()
    return changed


def reset_notification_setting(
    *, session: Session, settings: Settings, key: str, actor: str
) -> bool:
    """Drop a setting's override so the environment default applies; whether one existed."""
    if key not in KEYS:
        raise NotFoundError(f"no notification setting {key!r} (known: {', '.join(KEYS)})")
    row = session.get(NotificationSetting, key)
    if row is None:
        return False
    before = row.value
    session.delete(row)
    session.flush()
    audit(
        session=session,
        actor=actor,
        action="notification_setting.reset",
        target=key,
        before=before,
        after=_defaults(settings)[key],
    )
    return True
