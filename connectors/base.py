"""Connector contract: config models, record types, typed errors.

Connectors fetch from vendor admin APIs and stream typed records; they never
import ``app`` nor touch the database (see ARCHITECTURE.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from connectors.rows import Chunk

AccountStatus = Literal["active", "suspended", "deleted"]
UNLISTED = "unlisted"
"""Status of a product the source no longer lists while accounts still hold it (a
Microsoft SKU gone from ``subscribedSkus``, say): its seats stay visible, its seat
counts are unknown, and the inventory keeps the part number and name it knew."""


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class ProductRecord:
    """A vendor SKU or plan as the vendor reports it."""

    external_id: str
    name: str
    sku: str | None = None
    seats_purchased: int | None = None
    seats_consumed: int | None = None
    status: str = "active"


class AccountRecord(NamedTuple):
    """One account in one source.

    ``activity_known`` is False when the source could not report activity (e.g. a
    Microsoft tenant without Entra ID P1, a free Slack workspace): ``last_active_at``
    is then None without meaning "never used".

    Accounts and assignments are named tuples, not dataclasses like the rarer records:
    a large tenant yields hundreds of thousands of them, and a frozen dataclass costs
    about four times as much to build, which showed in the sync's overall time.
    """

    external_id: str
    email: str | None
    display_name: str | None
    status: AccountStatus
    is_guest: bool = False
    is_admin: bool = False
    department: str | None = None
    created_at: datetime | None = None
    last_active_at: datetime | None = None
    activity_known: bool = True


class AssignmentRecord(NamedTuple):
    """A seat of ``product_external_id`` held by ``account_external_id`` (see AccountRecord)."""

    account_external_id: str
    product_external_id: str
    assigned_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class UsageRecord:
    """Activity of one account on one product on one day."""

    account_external_id: str
    product_external_id: str | None
    day: date
    activity: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AliasRecord:
    """Another address of an account's owner (a Google user's alias, say).

    The account's person is then known by it too: another source's account under that
    address belongs to the same person (``app.people``).
    """

    account_external_id: str
    email: str


@dataclass(frozen=True, slots=True)
class SyncWarning:
    """Something the run could not do fully, said in plain words for the sync run."""

    message: str


Record = ProductRecord | AccountRecord | AssignmentRecord | UsageRecord | AliasRecord | SyncWarning


# --------------------------------------------------------------------------- errors


class ConnectorError(Exception):
    """Base of every error a connector raises; the message is shown to users as is."""


class ConnectorConfigError(ConnectorError):
    """The connector's configuration is invalid (unknown or missing keys, bad values)."""


class ConnectorAuthError(ConnectorError):
    """The vendor refused the credentials."""


class ConnectorPermissionError(ConnectorError):
    """Authenticated, but the app lacks a permission or scope; ``missing`` names it."""

    def __init__(self, message: str, *, missing: str | None = None) -> None:
        super().__init__(message)
        self.missing = missing


class ConnectorRateLimited(ConnectorError):
    """The vendor kept throttling past the retry budget."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ConnectorUnavailable(ConnectorError):
    """The vendor could not be reached or kept failing (network, 5xx, timeout)."""


class ConnectorDataError(ConnectorError):
    """The vendor answered with something we cannot read (malformed JSON, bad shape)."""


class ConnectorLoadError(ConnectorError):
    """A registered connector could not be imported."""


# --------------------------------------------------------------------------- config


def SecretField(*, title: str, description: str = "", **kwargs: Any) -> Any:  # noqa: N802
    """Declare a config field as secret: stored encrypted, write-only in the UI, masked."""
    return Field(title=title, description=description, json_schema_extra={"secret": True}, **kwargs)


def CaBundleField(*, description: str) -> Any:  # noqa: N802
    """Declare the optional CA bundle every HTTP connector takes for TLS-inspecting proxies."""
    return Field(default=None, title="CA bundle", description=description)


def http_root_url(value: str) -> str:
    """Refuse a non-http(s) API root and end it with "/" so relative paths join beneath it.

    Raises:
        ValueError: ``value`` does not start with ``https://`` or ``http://``.
    """
    if not value.startswith(("https://", "http://")):
        raise ValueError(f"must be an http(s) URL, got {value!r}")
    return value if value.endswith("/") else value + "/"


class ConnectorConfig(BaseModel):
    """Base of every connector's config; unknown keys are refused."""

    model_config = ConfigDict(extra="forbid")

    identity_provider: bool = Field(
        default=False,
        title="Identity provider",
        description="This source's account status decides whether a person still works here.",
    )
    schedule: str | None = Field(
        default=None,
        title="Sync schedule",
        description="Cron expression (minute hour day month weekday) for scheduled syncs.",
    )

    @classmethod
    def secret_fields(cls) -> set[str]:
        """Names of the fields flagged secret."""
        out: set[str] = set()
        for name, info in cls.model_fields.items():
            extra = info.json_schema_extra
            if isinstance(extra, dict) and extra.get("secret"):
                out.add(name)
        return out


class Connector:
    """Base class of connectors.

    Subclasses set ``kind``, ``title`` and ``config_model`` and implement ``check`` and
    ``fetch``. ``fetch`` streams records: products first, then accounts and their
    assignments (each assignment after its account and product), usage and warnings
    anywhere; it must never hold a whole tenant in memory.
    """

    kind: ClassVar[str]
    title: ClassVar[str]
    config_model: ClassVar[type[ConnectorConfig]]
    plain_values: ClassVar[bool] = False
    """True when every value in the connector's accounts and assignments is a plain
    ``str``, ``int``, ``bool``, ``None`` or aware ``datetime`` (as when they come straight
    from parsed JSON). The sync then moves them between processes with ``marshal``,
    several times faster than ``pickle``; ``marshal`` would quietly turn other types
    (numpy scalars, say) into bytes, so connectors that cannot promise this leave it
    False and their records travel by ``pickle``."""

    def __init__(self, config: ConnectorConfig) -> None:
        self.config = config

    @classmethod
    def check_settings(cls, config: ConnectorConfig) -> None:
        """Check what can be checked without the network when a connector is added.

        The base checks a ``ca_bundle`` (a readable PEM file, or the PEM text); a
        connector adds its own (a key that must parse). ``check()`` still tests the
        credentials against the vendor.

        Raises:
            ConnectorConfigError: Naming the setting and what is wrong with it.
        """
        from connectors.ca_bundle import ca_bundle_path

        value = getattr(config, "ca_bundle", None)
        if isinstance(value, str):
            ca_bundle_path(value)

    def check(self) -> str:
        """Test the credentials with one cheap call; return a one-line summary."""
        raise NotImplementedError

    def fetch(self) -> Iterator[Record]:
        """Stream every record of a full snapshot of the source."""
        raise NotImplementedError

    def batches(self) -> Iterator[Chunk]:
        """The same snapshot as batches of plain rows (:mod:`connectors.rows`).

        By default, :meth:`fetch` cut into batches. A connector may build rows directly
        instead (and derive :meth:`fetch` from them): for a large tenant, building a
        named tuple per record and then a row from it was a third of the sync's work
        beyond fetching the pages.
        """
        from connectors.rows import chunked  # connectors.rows builds on this module

        return chunked(self.fetch())

    def pages(self) -> Iterator[Any]:
        """The snapshot as the fetch hands it on: chunks, or pages for :meth:`chunk` to map.

        A sync runs this in its fetch process and may leave the mapping of pages to the
        run's own process when that one is waiting for work (``app.sync.pipeline``): a
        large tenant's JSON takes as long to parse and map as to fetch, and the two
        processes then share that work instead of one doing it while the other waits.
        By default, :meth:`batches` (chunks only).
        """
        return iter(self.batches())

    def chunk(self, page: Any) -> Chunk:
        """Rows of one item of :meth:`pages` that is not a chunk yet.

        Pure work on the page, no I/O: it may run in either process, in any order of
        the pages. A connector whose :meth:`pages` yields only chunks never gets here.
        """
        raise TypeError(f"{type(self).__name__}.pages() yielded {type(page).__name__}, not a Chunk")
