"""Parse and validate the catalogue's CSV data files.

Each parser takes the file's text and its name (for error messages) so tests and
tools can feed edited copies; the packaged files are read in ``__init__``.
Row-level checks happen here; checks that need several files (a capability or
category that must exist) take the keys known so far.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection, Iterator
from decimal import Decimal, InvalidOperation

from analytics.catalog.models import (
    Capability,
    CatalogApp,
    CatalogDataError,
    CatalogSku,
    Category,
    SkuSource,
)

CAPABILITIES_FILE = "capabilities.csv"
CATEGORIES_FILE = "categories.csv"
APPLICATIONS_FILE = "applications.csv"
MICROSOFT_SKUS_FILE = "microsoft_skus.csv"
GOOGLE_SKUS_FILE = "google_skus.csv"

CAPABILITY_COLUMNS = ("key", "name", "description")
CATEGORY_COLUMNS = ("key", "name")
APPLICATION_COLUMNS = (
    "key",
    "name",
    "vendor",
    "category",
    "is_suite",
    "capabilities",
    "aliases",
    "website",
)
MICROSOFT_SKU_COLUMNS = (
    "sku_id",
    "part_number",
    "friendly_name",
    "application",
    "capabilities",
    "list_price",
    "currency",
    "billing_cycle",
    "is_free",
)
GOOGLE_SKU_COLUMNS = (
    "product_id",
    "sku_id",
    "sku_name",
    "application",
    "capabilities",
    "list_price",
    "currency",
    "billing_cycle",
    "is_free",
)

BILLING_CYCLES = frozenset({"monthly", "annual"})
_SNAKE_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_SLUG_KEY = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def _rows(text: str, source: str, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) for each data row after checking the header."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    header = next(reader, None)
    if header is None:
        raise CatalogDataError(source, 1, "file is empty; expected a header row")
    header = [h.strip() for h in header]
    missing = [c for c in columns if c not in header]
    if missing:
        raise CatalogDataError(source, 1, f"header lacks column(s) {', '.join(missing)}")
    extra = [h for h in header if h not in columns]
    if extra:
        raise CatalogDataError(source, 1, f"header has unknown column(s) {', '.join(extra)}")
    for record in reader:
        line = reader.line_num
        if not any(field.strip() for field in record):
            continue
        if len(record) != len(header):
            raise CatalogDataError(
                source, line, f"row has {len(record)} fields, the header has {len(header)}"
            )
        yield line, {name: value.strip() for name, value in zip(header, record, strict=True)}


def _required(row: dict[str, str], column: str, source: str, line: int) -> str:
    value = row[column]
    if not value:
        raise CatalogDataError(source, line, f"{column} is empty")
    return value


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split("|") if part.strip()]


def _bool(row: dict[str, str], column: str, source: str, line: int) -> bool:
    value = row[column].lower()
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no", ""):
        return False
    raise CatalogDataError(source, line, f"{column} must be true or false, not {row[column]!r}")


def check_capabilities(
    keys: Collection[str], known: Collection[str], source: str, line: int | None, owner: str
) -> frozenset[str]:
    """Return ``keys`` as a frozenset after checking each is a known capability."""
    for key in keys:
        if key not in known:
            raise CatalogDataError(source, line, f"{owner}: unknown capability {key!r}")
    return frozenset(keys)


def _new_snake_key(
    row: dict[str, str], source: str, line: int, what: str, seen: Collection[str]
) -> str:
    """Return the row's ``key`` after checking it is snake_case and not ``seen`` before."""
    key = _required(row, "key", source, line)
    if not _SNAKE_KEY.match(key):
        raise CatalogDataError(source, line, f"{what} key {key!r} is not snake_case")
    if key in seen:
        raise CatalogDataError(source, line, f"duplicate {what} key {key!r}")
    return key


def parse_capabilities(text: str, source: str = CAPABILITIES_FILE) -> dict[str, Capability]:
    """Parse capabilities.csv into capabilities by key."""
    result: dict[str, Capability] = {}
    for line, row in _rows(text, source, CAPABILITY_COLUMNS):
        key = _new_snake_key(row, source, line, "capability", result)
        result[key] = Capability(key, _required(row, "name", source, line), row["description"])
    return result


def parse_categories(text: str, source: str = CATEGORIES_FILE) -> dict[str, Category]:
    """Parse categories.csv into categories by key."""
    result: dict[str, Category] = {}
    for line, row in _rows(text, source, CATEGORY_COLUMNS):
        key = _new_snake_key(row, source, line, "category", result)
        result[key] = Category(key, _required(row, "name", source, line))
    return result


def validate_app(
    app: CatalogApp,
    capabilities: Collection[str],
    categories: Collection[str],
    source: str,
    line: int | None,
) -> CatalogApp:
    """Check an application's key, names and references; return it unchanged."""
    if not _SLUG_KEY.match(app.key):
        raise CatalogDataError(
            source, line, f"application key {app.key!r} is not a lower-case slug (a-z, 0-9, -)"
        )
    if not app.name.strip():
        raise CatalogDataError(source, line, f"application {app.key!r}: name is empty")
    if not app.vendor.strip():
        raise CatalogDataError(source, line, f"application {app.key!r}: vendor is empty")
    if app.category not in categories:
        raise CatalogDataError(
            source, line, f"application {app.key!r}: unknown category {app.category!r}"
        )
    check_capabilities(app.capabilities, capabilities, source, line, f"application {app.key!r}")
    return app


def parse_applications(
    text: str,
    capabilities: Collection[str],
    categories: Collection[str],
    source: str = APPLICATIONS_FILE,
) -> dict[str, tuple[int, CatalogApp]]:
    """Parse applications.csv into (line, app) by key, checking references."""
    result: dict[str, tuple[int, CatalogApp]] = {}
    for line, row in _rows(text, source, APPLICATION_COLUMNS):
        key = _required(row, "key", source, line)
        if key in result:
            raise CatalogDataError(source, line, f"duplicate application key {key!r}")
        app = CatalogApp(
            key=key,
            name=row["name"],
            vendor=row["vendor"],
            category=_required(row, "category", source, line),
            is_suite=_bool(row, "is_suite", source, line),
            capabilities=frozenset(_split(row["capabilities"])),
            aliases=tuple(_split(row["aliases"])),
            website=row["website"] or None,
        )
        result[key] = (line, validate_app(app, capabilities, categories, source, line))
    return result


def _price(row: dict[str, str], source: str, line: int) -> Decimal | None:
    raw = row["list_price"]
    if not raw:
        return None
    try:
        price = Decimal(raw)
    except InvalidOperation:
        raise CatalogDataError(source, line, f"list_price {raw!r} is not a number") from None
    if not price.is_finite():
        raise CatalogDataError(source, line, f"list_price {raw!r} is not a number")
    if price < 0:
        raise CatalogDataError(source, line, f"list_price {raw} is negative")
    return price


def _sku(
    row: dict[str, str],
    source: str,
    line: int,
    applications: Collection[str],
    capabilities: Collection[str],
    *,
    sku_source: SkuSource,
    external_id: str,
    part_number: str | None,
    name_column: str,
    label: str,
) -> CatalogSku:
    """Build a SKU from the columns both SKU files share: application, capabilities, price terms."""
    application = _required(row, "application", source, line)
    if application not in applications:
        raise CatalogDataError(source, line, f"{label}: unknown application {application!r}")
    caps = check_capabilities(_split(row["capabilities"]), capabilities, source, line, label)
    price = _price(row, source, line)
    currency = _required(row, "currency", source, line)
    if not _CURRENCY.match(currency):
        raise CatalogDataError(source, line, f"currency {currency!r} is not an ISO 4217 code")
    cycle = _required(row, "billing_cycle", source, line)
    if cycle not in BILLING_CYCLES:
        allowed = ", ".join(sorted(BILLING_CYCLES))
        raise CatalogDataError(source, line, f"billing_cycle {cycle!r} must be one of {allowed}")
    is_free = _bool(row, "is_free", source, line)
    if is_free and price != 0:
        raise CatalogDataError(source, line, f"{label} is_free but list_price is not 0")
    if not is_free and price == 0:
        raise CatalogDataError(source, line, f"{label} has list_price 0 but is_free is false")
    return CatalogSku(
        source=sku_source,
        external_id=external_id,
        part_number=part_number,
        name=_required(row, name_column, source, line),
        application=application,
        capabilities=caps,
        list_price=price,
        currency=currency,
        billing_cycle=cycle,
        is_free=is_free,
    )


def parse_microsoft_skus(
    text: str,
    applications: Collection[str],
    capabilities: Collection[str],
    source: str = MICROSOFT_SKUS_FILE,
) -> list[CatalogSku]:
    """Parse microsoft_skus.csv; external ids are lower-case skuId GUIDs."""
    result: list[CatalogSku] = []
    seen_ids: set[str] = set()
    seen_parts: set[str] = set()
    for line, row in _rows(text, source, MICROSOFT_SKU_COLUMNS):
        sku_id = _required(row, "sku_id", source, line).lower()
        if not _GUID.match(sku_id):
            raise CatalogDataError(source, line, f"sku_id {row['sku_id']!r} is not a GUID")
        part = _required(row, "part_number", source, line)
        if sku_id in seen_ids:
            raise CatalogDataError(source, line, f"duplicate sku_id {sku_id}")
        if normalise_part_number(part) in seen_parts:
            raise CatalogDataError(source, line, f"duplicate part_number {part!r}")
        seen_ids.add(sku_id)
        seen_parts.add(normalise_part_number(part))
        result.append(
            _sku(
                row,
                source,
                line,
                applications,
                capabilities,
                sku_source="microsoft365",
                external_id=sku_id,
                part_number=part,
                name_column="friendly_name",
                label=f"SKU {part}",
            )
        )
    return result


def parse_google_skus(
    text: str,
    applications: Collection[str],
    capabilities: Collection[str],
    source: str = GOOGLE_SKUS_FILE,
) -> list[CatalogSku]:
    """Parse google_skus.csv; external ids are ``"{product_id}/{sku_id}"``."""
    result: list[CatalogSku] = []
    seen: set[str] = set()
    for line, row in _rows(text, source, GOOGLE_SKU_COLUMNS):
        product_id = _required(row, "product_id", source, line)
        sku_id = _required(row, "sku_id", source, line)
        external_id = google_external_id(product_id, sku_id)
        if external_id.lower() in seen:
            raise CatalogDataError(source, line, f"duplicate SKU {external_id}")
        seen.add(external_id.lower())
        result.append(
            _sku(
                row,
                source,
                line,
                applications,
                capabilities,
                sku_source="google_workspace",
                external_id=external_id,
                part_number=None,
                name_column="sku_name",
                label=f"SKU {external_id}",
            )
        )
    return result


def google_external_id(product_id: str, sku_id: str) -> str:
    """Return the inventory's external id for a Google Licence Manager SKU."""
    return f"{product_id}/{sku_id}"


def normalise_part_number(part_number: str) -> str:
    """Fold case and whitespace: Microsoft's own list mixes NBSP and spaces in part numbers."""
    return " ".join(part_number.replace("\u00a0", " ").split()).upper()


def normalise_external_id(source: SkuSource, external_id: str) -> str:
    """Return the form SKU external ids are indexed under (GUIDs and Google ids case-folded)."""
    return external_id.strip().lower()
