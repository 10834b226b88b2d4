"""Settings of the Microsoft 365 connector, and their validation.

Kept apart from the connector so the form and the CLI validate a config
(``Connector.config_model``) without the Graph plumbing; every URL is configurable for
national clouds and the sandbox.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator

from connectors.base import CaBundleField, ConnectorConfig, ConnectorConfigError, SecretField


def _https_url(value: str, field: str) -> str:
    value = value.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError(f"{field} must be an https:// URL (got {value!r})")
    return value


class Microsoft365Config(ConnectorConfig):
    """Settings of the Microsoft 365 connector (an Entra ID app registration)."""

    tenant_id: str = Field(
        title="Tenant ID",
        description="Directory (tenant) ID of the Microsoft 365 tenant, or its primary domain.",
        min_length=1,
    )
    client_id: str = Field(
        title="Client ID",
        description="Application (client) ID of the app registration.",
        min_length=1,
    )
    client_secret: str = SecretField(
        title="Client secret",
        description="Value of a client secret of the app registration (not its ID).",
        min_length=1,
    )
    authority_host: str = Field(
        default="https://login.microsoftonline.com",
        title="Authority host",
        description="Entra ID login URL; change it for national clouds "
        "(e.g. https://login.microsoftonline.us).",
    )
    graph_url: str = Field(
        default="https://graph.microsoft.com",
        title="Graph URL",
        description="Microsoft Graph base URL; change it for national clouds "
        "(e.g. https://graph.microsoft.us).",
    )
    ca_bundle: str | None = CaBundleField(
        description="Path of a PEM file with the CA certificates to trust instead of the "
        "system store (TLS-inspecting proxies, private endpoints).",
    )
    timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        le=600,
        title="Timeout (seconds)",
        description="How long to wait for each answer from Microsoft.",
    )

    @field_validator("tenant_id", "client_id")
    @classmethod
    def _plain_identifier(cls, value: str) -> str:
        value = value.strip()
        if not value or "/" in value or " " in value:
            raise ValueError("must be a GUID or a domain name, without slashes or spaces")
        return value

    @field_validator("authority_host")
    @classmethod
    def _authority_url(cls, value: str) -> str:
        return _https_url(value, "authority_host")

    @field_validator("graph_url")
    @classmethod
    def _graph_url(cls, value: str) -> str:
        return _https_url(value, "graph_url")


def parse_config(config: ConnectorConfig | Mapping[str, Any]) -> Microsoft365Config:
    """Validate a config, turning pydantic's errors into one readable message."""
    if isinstance(config, Microsoft365Config):
        return config
    data = config.model_dump() if isinstance(config, ConnectorConfig) else dict(config)
    try:
        return Microsoft365Config.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'config'}: {e['msg']}" for e in exc.errors()
        )
        raise ConnectorConfigError(
            f"Microsoft 365 connector config is invalid: {problems}"
        ) from exc
