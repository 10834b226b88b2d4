"""The app catalogue: applications, categories, capabilities and vendor SKUs.

The facts live in CSV data files next to this module (read with importlib.resources,
so they ship inside the installed package); this package parses, validates and
indexes them. User corrections, stored by the app layer, are passed to
``load_catalog`` and win over the packaged rows with the same key.

Typical use::

    catalog = load_catalog()
    catalog.find_app("Office 365").key                      # "microsoft-365"
    catalog.sku_by_part_number("ENTERPRISEPACK").list_price  # Decimal("26")
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

from analytics.catalog.data_files import (
    APPLICATIONS_FILE,
    CAPABILITIES_FILE,
    CATEGORIES_FILE,
    GOOGLE_SKUS_FILE,
    MICROSOFT_SKUS_FILE,
    google_external_id,
    parse_applications,
    parse_capabilities,
    parse_categories,
    parse_google_skus,
    parse_microsoft_skus,
    validate_app,
)
from analytics.catalog.lookups import Catalog, normalise_name
from analytics.catalog.models import (
    SKU_SOURCES,
    AppOverlap,
    Capability,
    CatalogApp,
    CatalogDataError,
    CatalogSku,
    Category,
    OverlapKind,
    SkuSource,
)

__all__ = [
    "SKU_SOURCES",
    "AppOverlap",
    "Capability",
    "Catalog",
    "CatalogApp",
    "CatalogDataError",
    "CatalogSku",
    "Category",
    "OverlapKind",
    "SkuSource",
    "build_catalog",
    "google_external_id",
    "load_catalog",
    "microsoft_sku_names",
    "normalise_name",
    "packaged_files",
]

OVERRIDE_SOURCE = "override"


def build_catalog(
    files: dict[str, str],
    overrides: Iterable[CatalogApp] = (),
) -> Catalog:
    """Parse and validate catalogue file contents, then apply user corrections.

    Args:
        files: File name -> text for the five data files (capabilities.csv,
            categories.csv, applications.csv, microsoft_skus.csv, google_skus.csv).
        overrides: Added or corrected applications; one with an existing key replaces
            the packaged entry, and its names win when matching.

    Returns:
        The indexed catalogue.

    Raises:
        CatalogDataError: A file or a correction is malformed; the message names the
            file (or ``override``), the line and the problem.
    """
    capabilities = parse_capabilities(files[CAPABILITIES_FILE])
    categories = parse_categories(files[CATEGORIES_FILE])
    parsed = parse_applications(files[APPLICATIONS_FILE], capabilities, categories)
    _check_unique_names(parsed)
    apps = {key: app for key, (_, app) in parsed.items()}
    skus = [
        *parse_microsoft_skus(files[MICROSOFT_SKUS_FILE], apps, capabilities),
        *parse_google_skus(files[GOOGLE_SKUS_FILE], apps, capabilities),
    ]
    corrected: list[str] = []
    for index, app in enumerate(overrides, start=1):
        apps[app.key] = validate_app(app, capabilities, categories, OVERRIDE_SOURCE, index)
        corrected.append(app.key)
    return Catalog(capabilities, categories, apps, skus, preferred=corrected)


def _check_unique_names(parsed: dict[str, tuple[int, CatalogApp]]) -> None:
    """Refuse a name or alias that would make find_app ambiguous between two apps."""
    owner: dict[str, str] = {}
    for key, (line, app) in parsed.items():
        for name in app.names():
            folded = normalise_name(name)
            if not folded:
                raise CatalogDataError(APPLICATIONS_FILE, line, f"application {key!r}: empty alias")
            other = owner.setdefault(folded, key)
            if other != key:
                raise CatalogDataError(
                    APPLICATIONS_FILE,
                    line,
                    f"application {key!r}: name or alias {name!r} already names {other!r}",
                )


def packaged_files() -> dict[str, str]:
    """Return file name -> text of the catalogue data files shipped with the package."""
    folder = resources.files(__name__)
    names = (
        CAPABILITIES_FILE,
        CATEGORIES_FILE,
        APPLICATIONS_FILE,
        MICROSOFT_SKUS_FILE,
        GOOGLE_SKUS_FILE,
    )
    return {name: folder.joinpath(name).read_text(encoding="utf-8") for name in names}


@lru_cache(maxsize=32)
def _cached_catalog(overrides: tuple[CatalogApp, ...]) -> Catalog:
    return build_catalog(packaged_files(), overrides)


def load_catalog(overrides: Iterable[CatalogApp] = ()) -> Catalog:
    """Load the packaged catalogue, merged with user corrections.

    Results are cached per set of corrections, so calling this on every analysis
    run is cheap.

    Args:
        overrides: Added or corrected applications (keyed by app key; a correction
            wins over the packaged entry).

    Returns:
        The indexed catalogue.

    Raises:
        CatalogDataError: A data file or a correction is malformed.
    """
    return _cached_catalog(tuple(overrides))


def microsoft_sku_names() -> dict[str, str]:
    """Return Microsoft skuPartNumber -> friendly name (ENTERPRISEPACK -> "Office 365 E3")."""
    return {
        sku.part_number: sku.name
        for sku in load_catalog().skus
        if sku.source == "microsoft365" and sku.part_number
    }
