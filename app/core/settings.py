"""Application settings, read from the environment (prefix ``SEATWISE_``) and ``.env``.

Settings are built once per process by :func:`get_settings` and injected; nothing reads
the environment at import time, so tests can build their own ``Settings``.
"""

from __future__ import annotations

import re
import secrets
import sys
from functools import lru_cache
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

VALID_CURRENCY_LENGTH = 3
# E-mail and day lists may be separated by commas, semicolons or white space.
_LIST_SEPARATORS = re.compile(r"[,;\s]+")


class SettingsError(Exception):
    """A setting is missing or invalid; the message names the setting."""


def check_crontab(value: str) -> str:
    """A crontab expression (minute hour day month weekday), spaces normalised.

    Raises:
        ValueError: ``value`` is not one, saying what a valid one looks like.
    """
    from apscheduler.triggers.cron import CronTrigger

    cleaned = " ".join(value.split())
    try:
        CronTrigger.from_crontab(cleaned, timezone="UTC")
    except ValueError as exc:
        raise ValueError(
            f"{value!r} is not a crontab expression (minute hour day month weekday, "
            f"e.g. '0 8 * * mon'): {exc}"
        ) from None
    return cleaned


class NotificationSettings(BaseModel):
    """Who Seatwise e-mails, when, and at which thresholds.

    ``Settings`` reads these from the environment, where they are the defaults; admins
    override them at run time (``app.notify.notification_settings``), which validates
    through this same model, so the UI, the API and the environment accept and refuse
    exactly the same values.
    """

    procurement_emails: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        title="Procurement e-mails",
        description="Receive every renewal alert, escalation and free-seat alert, and trial "
        "alerts when a trial has no owner.",
    )
    finance_emails: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        title="Finance e-mails",
        description="Receive the monthly spend report (XLSX attached) besides finance users.",
    )
    digest_emails: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        title="Digest e-mails",
        description="Receive the weekly findings digest besides admins and asset managers.",
    )
    alerts_time: str = Field(
        default="08:00",
        title="Daily alerts time",
        description="HH:MM, local time, when renewal, trial and free-seat alerts go out.",
    )
    digest_schedule: str = Field(
        default="0 8 * * mon",
        title="Digest schedule",
        description="Crontab (minute hour day month weekday, local time) of the findings digest.",
    )
    spend_report_schedule: str = Field(
        default="0 7 1 * *",
        title="Spend report schedule",
        description="Crontab (minute hour day month weekday, local time) of the spend report.",
    )
    renewal_alert_days: Annotated[list[int], NoDecode] = Field(
        default_factory=lambda: [90, 60, 30, 7],
        title="Renewal alert days",
        description="Days before the notice deadline (auto-renewing) or renewal date.",
    )
    trial_alert_days: Annotated[list[int], NoDecode] = Field(
        default_factory=lambda: [14, 3],
        title="Trial alert days",
        description="Days before a trial ends when its owner is alerted.",
    )
    escalation_days: int = Field(
        default=14,
        ge=0,
        title="Escalation days",
        description="Undecided renewals escalate to procurement this many days before the "
        "notice deadline.",
    )
    free_seats_threshold: int | None = Field(
        default=None,
        ge=0,
        title="Free-seat threshold",
        description="Alert when a product's free seats fall below this; blank turns it off "
        "(a product's own threshold wins).",
    )

    @field_validator("alerts_time")
    @classmethod
    def _check_alerts_time(cls, value: str) -> str:
        hour, sep, minute = value.strip().partition(":")
        if not (
            sep and hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60
        ):
            raise ValueError(f"must be HH:MM (24-hour), got {value!r}")
        return f"{int(hour):02d}:{int(minute):02d}"

    @field_validator("digest_schedule", "spend_report_schedule")
    @classmethod
    def _check_crontab(cls, value: str) -> str:
        return check_crontab(value)

    @field_validator("procurement_emails", "finance_emails", "digest_emails", mode="before")
    @classmethod
    def _split_emails(cls, value: object) -> object:
        if isinstance(value, str):
            return [part for part in _LIST_SEPARATORS.split(value) if part]
        return value

    @field_validator("procurement_emails", "finance_emails", "digest_emails")
    @classmethod
    def _check_emails(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(valid_email(x) for x in value if x.strip()))

    @field_validator("renewal_alert_days", "trial_alert_days", mode="before")
    @classmethod
    def _split_days(cls, value: object) -> object:
        if isinstance(value, bool) or (
            isinstance(value, list) and any(isinstance(day, bool) for day in value)
        ):
            raise ValueError(f"must be whole days, e.g. 90,60,30,7; got {value!r}")
        if isinstance(value, int):
            return [value]
        if isinstance(value, str):
            parts = [part for part in _LIST_SEPARATORS.split(value) if part]
            if not all(part.isdigit() for part in parts):
                raise ValueError(
                    f"must be comma-separated whole days, e.g. 90,60,30,7; got {value!r}"
                )
            return [int(part) for part in parts]
        return value

    @field_validator("renewal_alert_days", "trial_alert_days")
    @classmethod
    def _check_days(cls, value: list[int]) -> list[int]:
        if not value or any(day < 0 for day in value):
            raise ValueError(f"must list at least one day count, none negative; got {value!r}")
        return sorted(set(value), reverse=True)

    @field_validator("free_seats_threshold", mode="before")
    @classmethod
    def _blank_threshold(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


SUPPORTED_DRIVERS = frozenset({"sqlite", "sqlite+pysqlite", "postgresql", "postgresql+psycopg"})
"""Database URL schemes with a driver installed (``postgresql://`` means psycopg 3 here)."""


class Settings(BaseSettings, NotificationSettings):
    """Every setting Seatwise reads; ``.env.example`` documents each one.

    The notification fields come from :class:`NotificationSettings`; read them at run
    time from ``app.notify.notification_settings.effective_settings`` (or a function that
    resolves it, such as the ``app.notify.dispatch`` runs), never from here directly.
    """

    model_config = SettingsConfigDict(
        env_prefix="SEATWISE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    environment: Literal["development", "production", "test"] = "development"
    database_url: str = "sqlite:///./seatwise.db"
    secret_key: str = ""
    base_url: str = Field(default="http://127.0.0.1:8000", pattern=r"^https?://[^\s/]+")
    timezone: str = "UTC"
    reporting_currency: str = "EUR"

    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_timeout: float = Field(default=10.0, gt=0, le=600)
    smtp_max_attempts: int = Field(default=8, ge=1, le=100)
    mail_from: str = "seatwise@localhost"

    session_max_age: int = Field(default=60 * 60 * 12, ge=60)
    session_lifetime: int = Field(default=60 * 60 * 24 * 7, ge=60)
    """Seconds a login lasts at most, however often it is used (then one logs in again)."""
    login_max_failures: int = Field(default=5, ge=1, le=1000)
    login_lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    cookie_secure: bool = False
    """HTTPS only: Secure cookies and HSTS. Unset, it is on in production (behind TLS) and off
    elsewhere."""
    http_timeout: float = Field(default=30.0, gt=0, le=600)
    http_time_budget: float = Field(default=300.0, gt=0)

    inactive_days: int = Field(default=90, ge=1)
    never_used_grace_days: int = Field(default=30, ge=0)

    scheduler_enabled: bool = True

    secret_key_generated: bool = Field(default=False, exclude=True)

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError(f"SEATWISE_DATABASE_URL is not a database URL: {value!r}") from exc
        if url.get_backend_name() not in {"sqlite", "postgresql"}:
            raise ValueError(
                "SEATWISE_DATABASE_URL must be a sqlite:// or postgresql:// URL, "
                f"got {url.get_backend_name()!r}"
            )
        if url.drivername not in SUPPORTED_DRIVERS:
            raise ValueError(
                f"SEATWISE_DATABASE_URL names the driver {url.drivername!r}, which Seatwise "
                f"does not ship; use one of {', '.join(sorted(SUPPORTED_DRIVERS))}"
            )
        return value

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        """Scheme, host and an optional path (where a proxy serves Seatwise); nothing else."""
        parts = urlsplit(value)
        if parts.query or parts.fragment or "//" in parts.path:
            raise ValueError(
                "SEATWISE_BASE_URL is the address users reach Seatwise at: scheme, host and "
                f"optionally a path such as https://intranet.example.com/seatwise; got {value!r}"
            )
        return value

    @field_validator("mail_from")
    @classmethod
    def _check_mail_from(cls, value: str) -> str:
        """An address, optionally with a display name (``Seatwise <seatwise@acme.example>``)."""
        from app.core.mail import sender_address

        try:
            return str(sender_address(value))
        except ValueError as exc:
            raise ValueError(f"SEATWISE_MAIL_FROM: {exc}") from None

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"SEATWISE_TIMEZONE is not a known time zone: {value!r}") from exc
        return value

    @field_validator("reporting_currency")
    @classmethod
    def _check_currency(cls, value: str) -> str:
        value = value.upper()
        if len(value) != VALID_CURRENCY_LENGTH or not value.isalpha():
            raise ValueError(f"SEATWISE_REPORTING_CURRENCY must be an ISO 4217 code: {value!r}")
        return value

    @model_validator(mode="after")
    def _check_transport(self) -> Settings:
        if self.smtp_starttls and self.smtp_ssl:
            raise ValueError(
                "SEATWISE_SMTP_STARTTLS and SEATWISE_SMTP_SSL are both on: choose one "
                "(SSL from the first byte, usually port 465; or STARTTLS, usually port 587)"
            )
        if "cookie_secure" not in self.model_fields_set and self.environment == "production":
            self.cookie_secure = True
        return self

    @model_validator(mode="after")
    def _enforce_secret_key(self) -> Settings:
        if self.secret_key:
            if self.environment == "production" and len(self.secret_key) < 32:
                raise ValueError("SEATWISE_SECRET_KEY must be at least 32 characters in production")
            return self
        if self.environment == "production":
            raise ValueError(
                "SEATWISE_SECRET_KEY is not set; production refuses to start without it. "
                "Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        self.secret_key = secrets.token_urlsafe(48)
        self.secret_key_generated = True
        return self

    @property
    def root_path(self) -> str:
        """The path of ``base_url`` (``""`` at the host's root), where pages are served."""
        return urlsplit(self.base_url).path.rstrip("/")

    @property
    def is_sqlite(self) -> bool:
        """Whether the configured database is SQLite (file locks instead of advisory locks)."""
        return make_url(self.database_url).get_backend_name() == "sqlite"

    @property
    def tz(self) -> ZoneInfo:
        """The configured display time zone."""
        return ZoneInfo(self.timezone)


def valid_email(address: str) -> str:
    """A syntactically valid address, lower-cased (no DNS lookup); ValueError naming it."""
    from app.core.emails import normalised_address

    return normalised_address(address)


def load_settings() -> Settings:
    """Build settings, turning validation errors into one readable ``SettingsError``."""
    from pydantic import ValidationError

    try:
        settings = Settings()
    except ValidationError as exc:
        problems = "; ".join(_describe(err) for err in exc.errors())
        raise SettingsError(problems) from None
    return settings


def warn_if_generated_key(settings: Settings) -> None:
    """Say so when development mode made up a SECRET_KEY (sessions won't survive a restart)."""
    if settings.secret_key_generated:
        print(
            "seatwise: SEATWISE_SECRET_KEY is not set; using a random key for this process "
            "(sessions and stored secrets will not survive a restart). Set it in .env.",
            file=sys.stderr,
        )


def _describe(err: object) -> str:
    if not isinstance(err, dict):
        return str(err)
    loc = ".".join(str(part) for part in err.get("loc", ()))
    msg = str(err.get("msg", "invalid"))
    msg = msg.removeprefix("Value error, ")
    if loc and "SEATWISE_" not in msg:
        return f"SEATWISE_{loc.upper()}: {msg}"
    return msg


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests override through FastAPI dependencies)."""
    return load_settings()
