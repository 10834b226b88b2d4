"""Vendors and applications: one row per real-world vendor and app, matched through the catalogue.

Every path that creates applications (sync, contract import, the UI) goes through
:func:`resolve_application`, so "Office 365", "Microsoft 365" and the E3 SKU land on the
same application.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.inventory.models import Application, Product, Subscription, Vendor


def resolve_vendor(*, session: Session, name: str) -> Vendor:
    """Find a vendor by name (case-insensitive) or create it."""
    clean = " ".join(name.split())
    vendor = session.exec(select(Vendor).where(func.lower(Vendor.name) == clean.lower())).first()
    if vendor is None:
        vendor = Vendor(name=clean)
        session.add(vendor)
        session.flush()
    return vendor


def resolve_application(
    *, session: Session, name: str, vendor_name: str | None = None, catalog_key: str | None = None
) -> Application:
    """Find the application a name (or catalogue key) stands for, or create it.

    Order: the catalogue key (given, or found from the name or an alias), then the exact
    name case-insensitively. A new application takes the catalogue's name, vendor and
    category when the catalogue knows it.
    """
    from analytics.catalog import load_catalog

    catalog = load_catalog()
    entry = catalog.app(catalog_key) if catalog_key else catalog.find_app(name)
    if entry is not None:
        found = session.exec(
            select(Application).where(Application.catalog_key == entry.key)
        ).first()
        if found is not None:
            return found
    clean = " ".join(name.split())
    found = session.exec(
        select(Application).where(func.lower(Application.name) == clean.lower())
    ).first()
    if found is not None:
        if found.catalog_key is None and entry is not None:
            found.catalog_key = entry.key
        return found
    app_name = entry.name if entry is not None else clean
    clash = session.exec(
        select(Application).where(func.lower(Application.name) == app_name.lower())
    ).first()
    if clash is not None:
        return clash
    vendor = resolve_vendor(
        session=session, name=vendor_name or (entry.vendor if entry is not None else clean)
    )
    application = Application(
        name=app_name,
        vendor_id=vendor.id,
        category=entry.category if entry is not None else None,
        catalog_key=entry.key if entry is not None else None,
    )
    session.add(application)
    session.flush()
    return application


def pricing_contract(*, session: Session, product_id: int, today: date) -> Subscription | None:
    """The contract that prices a product: linked, start ≤ today ≤ end, the latest start."""
    return session.exec(
        select(Subscription)
        .where(Subscription.product_id == product_id)
        .where(col(Subscription.start_date) <= today)
        .where((col(Subscription.end_date).is_(None)) | (col(Subscription.end_date) >= today))
        .order_by(col(Subscription.start_date).desc(), col(Subscription.id).desc())
    ).first()


def effective_seats_purchased(*, session: Session, product: Product, today: date) -> int | None:
    """Seats bought: the vendor's figure, else the pricing contract's seats, else None."""
    if product.seats_purchased is not None:
        return product.seats_purchased
    if product.id is None:
        return None
    contract = pricing_contract(session=session, product_id=product.id, today=today)
    return contract.seats if contract is not None else None
