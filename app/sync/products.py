"""Products (vendor SKUs) of one sync run: upserted as they arrive, mapped to applications.

A Microsoft SKU maps to the catalogue's application for that SKU (else "Microsoft 365"),
a Google product/SKU likewise (else "Google Workspace"), Slack to "Slack"; a known SKU
found under another application is moved back on the next sync. The list price comes
from the catalogue's SKU when it knows one (0 for free SKUs).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, cast

import sqlalchemy as sa
from sqlmodel import Session

from app.inventory.models import Product
from app.inventory.service import resolve_application
from connectors.base import UNLISTED, ProductRecord

PRODUCT_T = cast(sa.Table, Product.__table__)  # type: ignore[attr-defined]
FALLBACK_APPLICATION = {
    "microsoft365": "Microsoft 365",
    "google_workspace": "Google Workspace",
    "slack": "Slack",
}
UPDATABLE = ("sku", "name", "seats_purchased", "seats_consumed", "status")


def catalogue_sku(kind: str, record: ProductRecord) -> Any:
    """The catalogue's SKU for a product record, or None (also when no catalogue is installed)."""
    try:
        from analytics.catalog import load_catalog

        catalog = load_catalog()
        found = catalog.sku_by_external_id(kind, record.external_id)
        if found is None and kind == "microsoft365" and record.sku:
            found = catalog.sku_by_part_number(record.sku)
        return found
    except ImportError:
        return None


class ProductWriter:
    """Upsert the products of one connector during a run; remember their ids."""

    def __init__(self, *, session: Session, connector_id: int, kind: str, stamp: datetime) -> None:
        self.session = session
        self.conn = session.connection()
        self.connector_id = connector_id
        self.kind = kind
        self.stamp = stamp
        self.ids: dict[str, int] = {}
        self._applications: dict[tuple[str, str | None], int] = {}
        self.counts = {"products": 0, "products_added": 0}
        self._counted: set[str] = set()

    def _application_id(self, record: ProductRecord, sku: Any) -> int:
        name = FALLBACK_APPLICATION.get(self.kind, self.kind)
        key: str | None = getattr(sku, "application", None) if sku is not None else None
        cache_key = (name, key)
        if cache_key not in self._applications:
            app = resolve_application(session=self.session, name=name, catalog_key=key)
            assert app.id is not None
            self._applications[cache_key] = app.id
        return self._applications[cache_key]

    def upsert(self, record: ProductRecord) -> None:
        """Insert or refresh one product (listed again in the same run: the later values win)."""
        p, counted = PRODUCT_T, self._counted
        sku = catalogue_sku(self.kind, record)
        old = self.conn.execute(
            sa.select(p).where(
                p.c.connector_id == self.connector_id, p.c.external_id == record.external_id
            )
        ).first()
        values: dict[str, Any] = {
            "sku": record.sku,
            "name": record.name,
            "seats_purchased": record.seats_purchased,
            "seats_consumed": record.seats_consumed,
            "status": record.status,
        }
        if record.status == UNLISTED:
            values.update(_known_names(old, sku))
        elif record.name in (record.sku, record.external_id):
            values["name"] = _known_name(old, sku) or record.name
        if sku is not None:
            price = Decimal(0) if sku.is_free else sku.list_price
            if price is not None:
                values["list_price"] = price
                values["list_price_currency"] = sku.currency
        if old is None:
            self.conn.execute(
                p.insert().values(
                    **values,
                    application_id=self._application_id(record, sku),
                    connector_id=self.connector_id,
                    external_id=record.external_id,
                    first_seen_at=self.stamp,
                    last_seen_at=self.stamp,
                    removed_at=None,
                )
            )
            new_id = self.conn.execute(
                sa.select(p.c.id).where(
                    p.c.connector_id == self.connector_id, p.c.external_id == record.external_id
                )
            ).scalar_one()
            self.ids[record.external_id] = new_id
            self.counts["products_added"] += 1
        else:
            self.ids[record.external_id] = old.id
            changed = {k: v for k, v in values.items() if _differs(getattr(old, k), v)} | (
                {"removed_at": None} if old.removed_at is not None else {}
            )
            # The catalogue decides a known SKU's application (nothing else moves products):
            # a product filed under another one (a catalogue update, an earlier mapping
            # fault) moves to it.
            if sku is not None and (app_id := self._application_id(record, sku)) != (
                old.application_id
            ):
                changed["application_id"] = app_id
            if changed:
                self.conn.execute(
                    p.update().where(p.c.id == old.id).values(**changed, last_seen_at=self.stamp)
                )
        if record.external_id not in counted:  # a product listed twice counts once
            counted.add(record.external_id)
            self.counts["products"] += 1

    def finish(self) -> dict[str, int]:
        """Mark this connector's products not seen in this run as removed; return counts."""
        p = PRODUCT_T
        removed = self.conn.execute(
            p.update()
            .where(
                p.c.connector_id == self.connector_id,
                p.c.removed_at.is_(None),
                p.c.id.not_in(list(self.ids.values())),
            )
            .values(removed_at=self.stamp)
        ).rowcount
        return {**self.counts, "products_removed": removed}


def _known_names(old: Any, sku: Any) -> dict[str, Any]:
    """An unlisted product's part number and name: as stored, else as the catalogue knows them.

    The source names the product only by its id once it stops listing it; a stored or
    catalogued name is what people recognise on the inventory and in findings.
    """
    if old is not None and old.sku is not None:
        return {"sku": old.sku, "name": old.name}
    if sku is not None and sku.part_number:
        return {"sku": sku.part_number, "name": sku.name}
    return {}


def _known_name(old: Any, sku: Any) -> str | None:
    """A better name than its id for a product the source listed without one (Google's
    licence items may lack ``skuName``): as stored, else as the catalogue knows it.

    A page of licences without names must not rename "Gemini Business" to "1010310008".
    """
    if old is not None and old.name not in (old.sku, old.external_id):
        return str(old.name)
    if sku is not None and sku.name:
        return str(sku.name)
    return None


def _differs(old: Any, new: Any) -> bool:
    if isinstance(old, Decimal) or isinstance(new, Decimal):
        return old is None or new is None or Decimal(old) != Decimal(new)
    return bool(old != new)
