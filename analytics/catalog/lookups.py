"""The loaded catalogue and its lookups (by key, name or alias, SKU id, capability)."""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from urllib.parse import urlsplit

from analytics.catalog.data_files import normalise_external_id, normalise_part_number
from analytics.catalog.models import (
    SKU_SOURCES,
    AppOverlap,
    Capability,
    CatalogApp,
    CatalogSku,
    Category,
    SkuSource,
)

# Trailing words inventories add to vendor or product names ("Slack Technologies, LLC").
_LEGAL_SUFFIXES = frozenset(
    {
        "inc",
        "llc",
        "ltd",
        "limited",
        "gmbh",
        "corp",
        "corporation",
        "co",
        "plc",
        "ag",
        "sa",
        "bv",
        "nv",
        "sas",
        "srl",
        "pty",
        "oy",
        "ab",
        "as",
        "se",
    }
)
_TOKEN = re.compile(r"[a-z0-9]+")


def normalise_name(name: str) -> str:
    """Fold a product name for matching: accents, case, punctuation and spacing are ignored.

    Args:
        name: A name as an inventory, invoice or user typed it.

    Returns:
        The lower-case alphanumeric form, e.g. ``"monday.com"`` -> ``"mondaycom"``.
    """
    return "".join(_tokens(name))


def _tokens(name: str) -> list[str]:
    decomposed = unicodedata.normalize("NFKD", name)
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _TOKEN.findall(ascii_only.lower().replace("&", " and "))


def _name_variants(name: str) -> list[str]:
    """Return the exact normalised form, then looser forms without legal suffixes."""
    tokens = _tokens(name)
    variants = ["".join(tokens)]
    while len(tokens) > 1 and tokens[-1] in _LEGAL_SUFFIXES:
        tokens = tokens[:-1]
        variants.append("".join(tokens))
    return variants


def _host(website: str | None) -> str | None:
    if not website:
        return None
    host = urlsplit(website if "//" in website else f"//{website}").hostname
    if not host:
        return None
    return host.removeprefix("www.")


class Catalog:
    """An immutable, indexed app catalogue.

    Build it with ``load_catalog()``; the constructor trusts its inputs (they were
    validated while parsing).
    """

    def __init__(
        self,
        capabilities: Mapping[str, Capability],
        categories: Mapping[str, Category],
        apps: Mapping[str, CatalogApp],
        skus: Iterable[CatalogSku],
        preferred: Iterable[str] = (),
    ) -> None:
        """Index the catalogue.

        Args:
            capabilities: Capability vocabulary by key.
            categories: Categories by key.
            apps: Applications by key.
            skus: Vendor SKUs.
            preferred: App keys whose names and aliases win over other apps' (user corrections).
        """
        self.capabilities: Mapping[str, Capability] = MappingProxyType(dict(capabilities))
        self.categories: Mapping[str, Category] = MappingProxyType(dict(categories))
        self.apps: Mapping[str, CatalogApp] = MappingProxyType(dict(apps))
        self.skus: tuple[CatalogSku, ...] = tuple(skus)
        preferred_keys = frozenset(preferred)
        ordered = sorted(self.apps.values(), key=lambda a: a.key in preferred_keys)
        self._by_name: dict[str, str] = {}
        for app in ordered:
            for name in app.names():
                self._by_name[normalise_name(name)] = app.key
        hosts: dict[str, set[str]] = {}
        for app in self.apps.values():
            host = _host(app.website)
            if host:
                hosts.setdefault(host, set()).add(app.key)
        self._by_host = {h: next(iter(keys)) for h, keys in hosts.items() if len(keys) == 1}
        self._by_external_id = {
            (s.source, normalise_external_id(s.source, s.external_id)): s for s in self.skus
        }
        self._by_part_number = {
            normalise_part_number(s.part_number): s for s in self.skus if s.part_number
        }
        self._skus_by_app: dict[str, list[CatalogSku]] = {}
        for sku in self.skus:
            self._skus_by_app.setdefault(sku.application, []).append(sku)

    def app(self, key: str) -> CatalogApp | None:
        """Return the application with this key, or None."""
        return self.apps.get(key)

    def find_app(self, name_or_alias: str) -> CatalogApp | None:
        """Find an application by key, name, alias or website domain.

        Matching ignores case, accents, punctuation and spacing, then retries without
        trailing legal suffixes (Inc, LLC, GmbH…). A bare domain or URL matches the
        app whose website is on that host, when only one app is.

        Args:
            name_or_alias: e.g. ``"Office 365"``, ``"G Suite"``, ``"slack"``, ``"zoom.us"``.

        Returns:
            The application, or None when nothing matches.
        """
        for variant in _name_variants(name_or_alias):
            key = self._by_name.get(variant)
            if key is not None:
                return self.apps[key]
        text = name_or_alias.strip().lower()
        if "." in text and " " not in text:
            host = _host(text)
            key = self._by_host.get(host) if host else None
            if key is not None:
                return self.apps[key]
        return None

    def sku_by_external_id(self, source: SkuSource | str, external_id: str) -> CatalogSku | None:
        """Return the SKU a connector reported.

        Args:
            source: Connector kind, ``"microsoft365"`` or ``"google_workspace"``.
            external_id: Microsoft skuId GUID, or Google ``"{productId}/{skuId}"``.

        Returns:
            The SKU, or None for an unknown source or id.
        """
        for known in SKU_SOURCES:
            if source == known:
                return self._by_external_id.get((known, normalise_external_id(known, external_id)))
        return None

    def sku_by_part_number(self, part_number: str) -> CatalogSku | None:
        """Return the Microsoft SKU with this skuPartNumber (case-insensitive), or None."""
        return self._by_part_number.get(normalise_part_number(part_number))

    def skus_for_app(self, key: str) -> tuple[CatalogSku, ...]:
        """Return the SKUs that license an application."""
        return tuple(self._skus_by_app.get(key, ()))

    def capabilities_of_app(self, key: str) -> frozenset[str]:
        """Return an application's capabilities (empty for an unknown key)."""
        app = self.apps.get(key)
        return app.capabilities if app else frozenset()

    def apps_with_capability(self, capability: str) -> tuple[CatalogApp, ...]:
        """Return every application providing a capability, sorted by key."""
        return tuple(
            sorted(
                (a for a in self.apps.values() if capability in a.capabilities),
                key=lambda a: a.key,
            )
        )

    def apps_sharing_capabilities(
        self,
        app_keys: Iterable[str],
        capabilities_by_app: Mapping[str, frozenset[str]] | None = None,
    ) -> list[AppOverlap]:
        """Return every pair of the given applications that share a capability.

        A suite's capabilities depend on the SKU in use (Exchange Online Plan 1 has
        no team chat), so callers that know the SKUs pass the union of their SKUs'
        capabilities in ``capabilities_by_app``; other apps use the catalogue's.

        Args:
            app_keys: Applications in use; unknown keys are ignored.
            capabilities_by_app: Optional capabilities to use instead of the catalogue's.

        Returns:
            One ``AppOverlap`` per pair, ordered by the pair's keys. Its ``kind`` is
            ``suite_overlap`` when both are suites, else ``overlap``.
        """
        chosen = capabilities_by_app or {}
        apps = sorted({self.apps[k] for k in app_keys if k in self.apps}, key=lambda a: a.key)
        result: list[AppOverlap] = []
        for first, second in itertools.combinations(apps, 2):
            shared = chosen.get(first.key, first.capabilities) & chosen.get(
                second.key, second.capabilities
            )
            if shared:
                result.append(AppOverlap(first, second, frozenset(shared)))
        return result
