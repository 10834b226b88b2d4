"""Typed records of the app catalogue and the error raised for broken catalogue data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

SkuSource = Literal["microsoft365", "google_workspace"]
"""Connector kinds whose SKUs the catalogue knows (the `kind` of the connector)."""

SKU_SOURCES: tuple[SkuSource, ...] = ("microsoft365", "google_workspace")

OverlapKind = Literal["overlap", "suite_overlap"]


class CatalogDataError(ValueError):
    """A catalogue data file (or a user correction) is malformed.

    The message names the file, the line and the problem, so a user who edited a
    CSV by hand can go straight to the bad row.

    Attributes:
        source: File name (e.g. ``applications.csv``) or ``override`` for a user correction.
        line: 1-based line number in the file (the header is line 1), or None.
        problem: What is wrong, in words.
    """

    def __init__(self, source: str, line: int | None, problem: str) -> None:
        self.source = source
        self.line = line
        self.problem = problem
        where = f"{source}, line {line}" if line is not None else source
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True, slots=True)
class Capability:
    """One entry of the controlled capability vocabulary (e.g. ``team_chat``)."""

    key: str
    name: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class Category:
    """An application category (e.g. ``team_communication``)."""

    key: str
    name: str


@dataclass(frozen=True, slots=True)
class CatalogApp:
    """A SaaS application or suite as the catalogue describes it.

    ``capabilities`` holds the application's primary purposes only (what it is bought
    for), so that two apps sharing a capability really compete. For a suite it is the
    union of what its SKUs bundle; the SKU rows say which plan provides what.
    """

    key: str
    name: str
    vendor: str
    category: str
    is_suite: bool = False
    capabilities: frozenset[str] = frozenset()
    aliases: tuple[str, ...] = ()
    website: str | None = None

    @classmethod
    def from_record(cls, record: Mapping[str, object]) -> CatalogApp:
        """Build an app from a JSON-like record (a stored user correction).

        ``capabilities`` and ``aliases`` may be lists or ``|``-separated strings;
        ``is_suite`` a bool or "true"/"false". References are checked by load_catalog.

        Raises:
            CatalogDataError: A required field is missing or of the wrong type.
        """

        def text(field: str, required: bool = True) -> str:
            value = record.get(field)
            if value is None or value == "":
                if required:
                    raise CatalogDataError("override", None, f"{field} is missing")
                return ""
            if not isinstance(value, str):
                raise CatalogDataError("override", None, f"{field} must be text")
            return value.strip()

        def items(field: str) -> list[str]:
            value = record.get(field) or []
            parts = value.split("|") if isinstance(value, str) else value
            if not isinstance(parts, list | tuple | set | frozenset):
                raise CatalogDataError("override", None, f"{field} must be a list")
            return [str(p).strip() for p in parts if str(p).strip()]

        suite = record.get("is_suite", False)
        return cls(
            key=text("key"),
            name=text("name"),
            vendor=text("vendor"),
            category=text("category"),
            is_suite=suite is True or str(suite).lower() in ("true", "1", "yes"),
            capabilities=frozenset(items("capabilities")),
            aliases=tuple(items("aliases")),
            website=text("website", required=False) or None,
        )

    def to_record(self) -> dict[str, object]:
        """Return a JSON-ready record that ``from_record`` reads back."""
        return {
            "key": self.key,
            "name": self.name,
            "vendor": self.vendor,
            "category": self.category,
            "is_suite": self.is_suite,
            "capabilities": sorted(self.capabilities),
            "aliases": list(self.aliases),
            "website": self.website,
        }

    def names(self) -> tuple[str, ...]:
        """Return the key, the display name and every alias (the strings find_app matches)."""
        return (self.key, self.name, *self.aliases)


@dataclass(frozen=True, slots=True)
class CatalogSku:
    """A vendor licence SKU mapped to a catalogue application.

    ``external_id`` is what a connector reports: the Microsoft ``skuId`` GUID (lower
    case), or ``"{productId}/{skuId}"`` for Google's Licence Manager.
    ``list_price`` is per user per month in ``currency``; None when no public list
    price is known.
    """

    source: SkuSource
    external_id: str
    part_number: str | None
    name: str
    application: str
    capabilities: frozenset[str]
    list_price: Decimal | None
    currency: str
    billing_cycle: str
    is_free: bool

    @property
    def is_paid(self) -> bool:
        """Whether a seat on this SKU costs money at list price (free SKUs never do)."""
        return not self.is_free and self.list_price is not None and self.list_price > 0


@dataclass(frozen=True, slots=True)
class AppOverlap:
    """Two applications that provide some of the same capabilities.

    ``first`` sorts before ``second`` so a pair has one stable identity.
    """

    first: CatalogApp
    second: CatalogApp
    shared: frozenset[str]

    @property
    def kind(self) -> OverlapKind:
        """``suite_overlap`` when both are suites, else ``overlap``."""
        if self.first.is_suite and self.second.is_suite:
            return "suite_overlap"
        return "overlap"
