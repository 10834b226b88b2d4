"""Connector configurations: validated, split into plain settings and encrypted secrets.

The plain part lives in ``ConnectorConfig.config`` (JSON); the fields a connector flags
secret are encrypted with :class:`~app.core.security.SecretBox` into ``.secrets``, so a
database dump never shows a client secret or a token.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, col, select

from app.core.db import utcnow
from app.core.errors import ConflictError, InvalidInputError, NotFoundError, SeatwiseError
from app.core.security import SecretBox
from app.core.settings import Settings, check_crontab
from app.sync.models import ConnectorConfig, SyncRun
from connectors import base as connector_base
from connectors.registry import connector_kinds, get_connector

MASK = "••••"
NAME = re.compile(r"[^\W_][\w .@()-]{0,99}")
"""A connector name: it is part of page URLs (``/connectors/<name>``) and CLI arguments."""


class ConnectorKindError(InvalidInputError):
    """No connector of the given kind is registered (a usage error at the CLI)."""


class ConnectorConfigInvalid(InvalidInputError):
    """A connector config has unknown, missing or bad keys (a usage error at the CLI)."""

    def __init__(self, message: str, *, unknown: list[str], missing: list[str]) -> None:
        super().__init__(message)
        self.unknown = unknown
        self.missing = missing


def connector_class(kind: str) -> type[connector_base.Connector]:
    """The registered connector class of ``kind``; unknown kinds list the known ones."""
    kinds = connector_kinds()
    if kind not in kinds:
        raise ConnectorKindError(
            f"unknown connector kind {kind!r}; known kinds: {', '.join(kinds) or 'none'}"
        )
    return get_connector(kind)


def validate_config(kind: str, data: dict[str, Any]) -> connector_base.ConnectorConfig:
    """Validate ``data`` against the connector's config model, naming every bad key."""
    model = connector_class(kind).config_model
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        unknown: list[str] = []
        missing: list[str] = []
        other: list[str] = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "config"
            if err["type"] == "extra_forbidden":
                unknown.append(where)
            elif err["type"] == "missing":
                missing.append(where)
            else:
                other.append(f"{where}: {err['msg']}")
        parts = []
        if unknown:
            parts.append(f"unknown keys: {', '.join(unknown)}")
        if missing:
            parts.append(f"missing required keys: {', '.join(missing)}")
        parts.extend(other)
        raise ConnectorConfigInvalid(
            f"invalid {kind} connector config: {'; '.join(parts)}", unknown=unknown, missing=missing
        ) from None


def _check_settings(kind: str, validated: connector_base.ConnectorConfig) -> None:
    """Refuse settings unusable without trying the network when a connector is added: a
    schedule that is no crontab (normalised in place), and what the connector itself can
    tell (a ``ca_bundle`` that names no PEM file, a key that does not parse).

    The connector's checks run again at each sync and test (a file may go later), but a
    typo found only at the first nightly sync is found too late.
    """
    if validated.schedule is not None and not validated.schedule.strip():
        validated.schedule = None  # blank: no schedule of its own, as when left out
    try:
        if validated.schedule:
            validated.schedule = check_crontab(validated.schedule)
    except ValueError as exc:
        raise ConnectorConfigInvalid(
            f"invalid {kind} connector config: schedule: {exc}", unknown=[], missing=[]
        ) from None
    try:
        connector_class(kind).check_settings(validated)
    except (ValueError, connector_base.ConnectorConfigError) as exc:
        raise ConnectorConfigInvalid(
            f"invalid {kind} connector config: {exc}", unknown=[], missing=[]
        ) from None


def split_secrets(
    validated: connector_base.ConnectorConfig,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a validated config into its plain part (as given) and its secret part."""
    secret_names = type(validated).secret_fields()
    given = validated.model_dump(mode="json", exclude_unset=True)
    plain = {k: v for k, v in given.items() if k not in secret_names}
    secret = {k: v for k, v in given.items() if k in secret_names}
    return plain, secret


def add_connector(
    *, session: Session, settings: Settings, kind: str, name: str, config: dict[str, Any]
) -> ConnectorConfig:
    """Validate and store a new connector; its secrets are encrypted at rest."""
    name = name.strip()
    if not NAME.fullmatch(name):
        raise InvalidInputError(
            f"connector name {name!r} is not usable: 1 to 100 letters, digits, spaces and "
            "_ . - @ ( ), starting with a letter or digit (it appears in URLs and commands)"
        )
    validated = validate_config(kind, config)
    _check_settings(kind, validated)
    # Names differing only in case would be told apart in commands by case alone.
    # Compared here, as few connectors exist: SQLite's lower() folds ASCII letters only.
    key = name.casefold()
    existing = next(
        (n for n in session.exec(select(ConnectorConfig.name)) if n.casefold() == key), None
    )
    if existing is not None:
        same = "" if existing == name else f" ({existing}: names ignore case)"
        raise ConflictError(f"a connector named {name} already exists{same}")
    plain, secret = split_secrets(validated)
    if secret and settings.secret_key_generated:
        raise SeatwiseError(
            "SEATWISE_SECRET_KEY is not set, so this process made up a key that dies with it: "
            "secrets stored with it could never be read again. Set SEATWISE_SECRET_KEY (in "
            ".env) first; `python -c 'import secrets; print(secrets.token_urlsafe(48))'` "
            "makes one."
        )
    row = ConnectorConfig(
        kind=kind,
        name=name,
        config=plain,
        secrets=SecretBox(settings.secret_key).encrypt(secret) if secret else None,
        schedule=validated.schedule,
    )
    session.add(row)
    session.flush()
    return row


def list_connectors(*, session: Session) -> list[ConnectorConfig]:
    """Every configured connector, by name."""
    return list(session.exec(select(ConnectorConfig).order_by(col(ConnectorConfig.name))))


def get_connector_config(*, session: Session, name: str) -> ConnectorConfig:
    """The connector called ``name``, in any case (names ignore case, as when added).

    Raises:
        NotFoundError: No connector has that name; it names the configured ones.
    """
    row = session.exec(select(ConnectorConfig).where(ConnectorConfig.name == name)).first()
    if row is not None:
        return row
    # Compared here, as few connectors exist: SQLite's lower() folds ASCII letters only.
    rows = list_connectors(session=session)
    key = name.strip().casefold()
    found = next((c for c in rows if c.name.casefold() == key), None)
    if found is None:
        known = ", ".join(c.name for c in rows) or "none"
        raise NotFoundError(f"no connector named {name!r} (configured: {known})")
    return found


def remove_connector(*, session: Session, name: str) -> None:
    """Delete a connector; its accounts, assignments and runs go with it (cascade)."""
    row = get_connector_config(session=session, name=name)
    session.delete(row)
    session.flush()


def is_identity_provider(row: ConnectorConfig) -> bool:
    """Whether this source's account status decides who still works here."""
    return bool((row.config or {}).get("identity_provider"))


def masked_view(row: ConnectorConfig) -> dict[str, Any]:
    """The connector as users may see it: secrets replaced by a mask."""
    config = dict(row.config or {})
    try:
        secret_names = sorted(connector_class(row.kind).config_model.secret_fields())
    except Exception:  # an uninstalled connector still lists, with what we know
        secret_names = []
    for key in secret_names:
        config[key] = MASK
    return {
        "name": row.name,
        "kind": row.kind,
        "enabled": row.enabled,
        "identity_provider": is_identity_provider(row),
        "schedule": row.schedule,
        "config": config,
        "created_at": row.created_at,
    }


def last_runs(*, session: Session, connector_ids: list[int]) -> dict[int, SyncRun]:
    """The newest run of each connector."""
    out: dict[int, SyncRun] = {}
    if not connector_ids:
        return out
    runs = session.exec(
        select(SyncRun)
        .where(col(SyncRun.connector_id).in_(connector_ids))
        .order_by(col(SyncRun.started_at).desc(), col(SyncRun.id).desc())
    )
    for run in runs:
        if run.connector_id not in out:
            out[run.connector_id] = run
    return out


def connector_views(*, session: Session, rows: list[ConnectorConfig]) -> list[dict[str, Any]]:
    """Connectors as the CLI and the API show them: secrets masked, with their last run."""
    last = last_runs(session=session, connector_ids=[r.id for r in rows if r.id])
    views = []
    for row in rows:
        run = last.get(row.id) if row.id else None
        summary = (
            None
            if run is None
            else {"status": run.status, "started_at": run.started_at, "error": run.error}
        )
        views.append({**masked_view(row), "last_run": summary})
    return views


def build_connector(row: ConnectorConfig, settings: Settings, **options: Any) -> Any:
    """Instantiate the connector of ``row`` with its decrypted secrets and our timeouts.

    ``settings.http_timeout`` fills a connector's timeout field when the user set none;
    ``settings.http_time_budget`` caps its retries when the constructor takes a policy.
    ``options`` go to the constructor as given (tests pass fast retry policies).
    """
    cls = connector_class(row.kind)
    data = dict(row.config or {})
    if row.secrets:
        data.update(SecretBox(settings.secret_key).decrypt(row.secrets))
    fields = cls.config_model.model_fields
    if "timeout_seconds" in fields and "timeout_seconds" not in data:
        data["timeout_seconds"] = settings.http_timeout
    config = validate_config(row.kind, data)
    params = inspect.signature(cls.__init__).parameters
    if "retry" in params and "retry" not in options:
        policy = _budgeted_retry_policy(cls, settings.http_time_budget)
        if policy is not None:
            options["retry"] = policy
    if "max_wait" in params and "max_wait" not in options:
        options["max_wait"] = settings.http_time_budget
    options = {k: v for k, v in options.items() if k in params}
    return cls(config, **options)


def _budgeted_retry_policy(cls: type[Any], budget: float) -> Any:
    """A retry policy of the type the constructor takes, when that type has a ``budget``."""
    import dataclasses
    import types
    import typing

    try:
        hint = typing.get_type_hints(cls.__init__).get("retry")
    except Exception:  # unresolvable annotations: leave the connector's default
        return None
    candidates = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    for candidate in candidates:
        if (
            dataclasses.is_dataclass(candidate)
            and isinstance(candidate, type)
            and "budget" in {f.name for f in dataclasses.fields(candidate)}
        ):
            return candidate(budget=budget)  # type: ignore[call-arg]
    return None


def touch(row: ConnectorConfig) -> None:
    """Mark a connector changed."""
    row.updated_at = utcnow()
