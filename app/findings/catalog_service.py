"""Users' additions and corrections to the app catalogue, stored in ``CatalogEntry``.

Each row holds one ``CatalogApp``'s fields as JSON (capabilities and aliases as lists);
``effective_catalog`` passes every row to ``load_catalog`` as an override, so a
correction wins over the packaged data file with the same key.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, select

from analytics.catalog import Catalog, CatalogApp, CatalogDataError, load_catalog
from app.auth.service import audit
from app.core.db import utcnow
from app.core.errors import InvalidInputError
from app.findings.models import CatalogEntry


def app_to_data(app: CatalogApp) -> dict[str, Any]:
    """Return a catalogue application as the JSON stored in ``CatalogEntry.data``."""
    return {
        "key": app.key,
        "name": app.name,
        "vendor": app.vendor,
        "category": app.category,
        "is_suite": app.is_suite,
        "capabilities": sorted(app.capabilities),
        "aliases": list(app.aliases),
        "website": app.website,
    }


def data_to_app(key: str, data: dict[str, Any]) -> CatalogApp:
    """Rebuild a catalogue application from a stored correction."""
    return CatalogApp(
        key=key,
        name=str(data.get("name") or ""),
        vendor=str(data.get("vendor") or ""),
        category=str(data.get("category") or ""),
        is_suite=bool(data.get("is_suite", False)),
        capabilities=frozenset(str(c) for c in data.get("capabilities") or ()),
        aliases=tuple(str(a) for a in data.get("aliases") or ()),
        website=data.get("website") or None,
    )


def catalog_overrides(*, session: Session) -> list[CatalogApp]:
    """Return every stored correction as a ``CatalogApp``, ordered by key."""
    rows = session.exec(select(CatalogEntry).order_by(col(CatalogEntry.key))).all()
    return [data_to_app(r.key, dict(r.data)) for r in rows]


def effective_catalog(*, session: Session) -> Catalog:
    """Return the packaged catalogue with the users' corrections applied."""
    try:
        return load_catalog(overrides=catalog_overrides(session=session))
    except CatalogDataError as exc:
        raise InvalidInputError(
            f"a stored catalogue correction is invalid ({exc}); fix it with `seatwise catalog add`"
        ) from exc


def _unknown(values: Iterable[str], known: Iterable[str]) -> list[str]:
    known_set = set(known)
    return sorted({v for v in values if v not in known_set})


KEY_LENGTH = 100
"""As long as ``CatalogEntry.key`` may be."""


def add_entry(
    *,
    session: Session,
    key: str,
    name: str,
    vendor: str,
    category: str,
    capabilities: Iterable[str],
    is_suite: bool = False,
    aliases: Iterable[str] = (),
    website: str | None = None,
    actor: str = "cli",
) -> CatalogApp:
    """Add an application to the catalogue, or correct the entry with this key.

    Raises:
        InvalidInputError: The category or a capability is not in the catalogue's
            vocabulary (the message names them), or the entry is otherwise malformed.
    """
    if not 0 < len(key.strip()) <= KEY_LENGTH:
        raise InvalidInputError(f"a catalogue key has 1 to {KEY_LENGTH} characters")
    base = load_catalog()
    caps = [c.strip() for c in capabilities if c.strip()]
    bad_caps = _unknown(caps, base.capabilities)
    if bad_caps:
        raise InvalidInputError(
            f"unknown capability key(s): {', '.join(bad_caps)}; "
            "see analytics/catalog/capabilities.csv for the vocabulary"
        )
    if category not in base.categories:
        raise InvalidInputError(
            f"unknown category key: {category}; known: {', '.join(sorted(base.categories))}"
        )
    app = CatalogApp(
        key=key.strip(),
        name=" ".join(name.split()),
        vendor=" ".join(vendor.split()),
        category=category,
        is_suite=is_suite,
        capabilities=frozenset(caps),
        aliases=tuple(a.strip() for a in aliases if a.strip()),
        website=website or None,
    )
    others = [o for o in catalog_overrides(session=session) if o.key != app.key]
    try:
        load_catalog(overrides=[*others, app])
    except CatalogDataError as exc:
        raise InvalidInputError(f"catalogue entry refused: {exc.problem}") from exc
    row = session.exec(select(CatalogEntry).where(CatalogEntry.key == app.key)).first()
    if row is None:
        row = CatalogEntry(key=app.key)
        session.add(row)
    row.data = app_to_data(app)
    row.updated_at = utcnow()
    session.flush()
    audit(session=session, actor=actor, action="catalog.add", target=app.key, **row.data)
    return app


def list_entries(*, session: Session, category: str | None = None) -> list[tuple[CatalogApp, bool]]:
    """Return catalogue applications (with corrections) and whether each is a user entry."""
    catalog = effective_catalog(session=session)
    if category is not None and category not in catalog.categories:
        raise InvalidInputError(
            f"unknown category key: {category}; known: {', '.join(sorted(catalog.categories))}"
        )
    corrected = {o.key for o in catalog_overrides(session=session)}
    apps = sorted(catalog.apps.values(), key=lambda a: a.key)
    return [(a, a.key in corrected) for a in apps if category is None or a.category == category]
