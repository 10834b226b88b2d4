"""Contracts (subscriptions): applying imported rows, linking products, listing.

An import is keyed by vendor + contract number: a new pair creates a contract, a known
pair whose values differ updates it (and its ``updated_at``), an identical one is left
alone, so importing the same file twice changes nothing. Contracts missing from a file
are kept: a file is a batch of changes, not the whole truth. Likewise a column missing
from a file leaves that value of stored contracts alone (a renewal date is derived from
``end_date`` too, so either column states it).

A contract's ``product`` text links it to an inventory product whose SKU part number,
external id or name equals it (case-insensitively), preferring products of the
contract's application, then products still reported by their vendor, then the oldest.
When nothing matches yet (contracts are often imported before the first sync) the text
stays in ``product_ref`` and :func:`relink_contracts` links it after a sync.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from app.core.db import utcnow
from app.inventory.contract_rows import ContractRow
from app.inventory.contract_schemas import SubscriptionRead, money_text
from app.inventory.import_files import ImportResult
from app.inventory.models import Application, Product, Subscription, Vendor
from app.inventory.service import resolve_application, resolve_vendor

_COMPARED = (
    "application_id",
    "product_id",
    "product_ref",
    "start_date",
    "end_date",
    "renewal_date",
    "auto_renew",
    "notice_days",
    "billing_cycle",
    "seats",
    "unit_price",
    "total_cost",
    "currency",
    "owner_email",
    "cost_centre",
    "department",
    "is_trial",
    "notes",
)


#: Fields whose file column has another name.
_COLUMN_OF = {"application_id": "application", "product_id": "product", "product_ref": "product"}


def _stated(row: ContractRow) -> tuple[str, ...]:
    """The fields the row's file states; the others keep their stored values on update."""
    stated = set(row.columns)
    if "end_date" in stated:
        stated.add("renewal_date")  # empty renewal_date means the day after end_date
    return tuple(name for name in _COMPARED if _COLUMN_OF.get(name, name) in stated)


def find_product(*, session: Session, ref: str, application_id: int | None) -> Product | None:
    """The inventory product a contract's product text names, or None."""
    needle = " ".join(ref.split()).lower()
    candidates = session.exec(
        select(Product).where(
            or_(
                func.lower(Product.sku) == needle,
                func.lower(Product.external_id) == needle,
                func.lower(Product.name) == needle,
            )
        )
    ).all()
    if not candidates:
        return None
    return min(
        candidates,
        key=lambda p: (p.application_id != application_id, p.removed_at is not None, p.id or 0),
    )


def import_contracts(*, session: Session, rows: list[ContractRow]) -> ImportResult:
    """Create or update the contracts of validated rows; report what changed."""
    result = ImportResult()
    vendors: dict[str, Vendor] = {}
    applications: dict[tuple[str, str], Application] = {}
    for row in rows:
        vendor_key = row.vendor.lower()
        if vendor_key not in vendors:
            vendors[vendor_key] = resolve_vendor(session=session, name=row.vendor)
        vendor = vendors[vendor_key]
        app_key = (row.application.lower(), vendor_key)
        if app_key not in applications:
            applications[app_key] = resolve_application(
                session=session, name=row.application, vendor_name=row.vendor
            )
        application = applications[app_key]
        product = None
        if row.product:
            product = find_product(session=session, ref=row.product, application_id=application.id)
            if product is None:
                result.warnings.append(
                    f"row {row.row}: product {row.product!r} matches no inventory product yet; "
                    "the contract keeps the text and links to it after a sync finds it"
                )
            elif product.application_id != application.id:
                result.warnings.append(
                    f"row {row.row}: product {row.product!r} belongs to another application "
                    f"than {application.name!r}; linked anyway"
                )
        values = _values(row, application_id=application.id, product=product)
        existing = session.exec(
            select(Subscription)
            .where(Subscription.vendor_id == vendor.id)
            .where(Subscription.contract_number == row.contract_number)
        ).first()
        if existing is None:
            assert vendor.id is not None
            session.add(
                Subscription(vendor_id=vendor.id, contract_number=row.contract_number, **values)
            )
            result.created += 1
        elif _apply(existing, values, _stated(row)):
            existing.updated_at = utcnow()
            session.add(existing)
            result.updated += 1
        else:
            result.unchanged += 1
    session.flush()
    return result


def _values(
    row: ContractRow, *, application_id: int | None, product: Product | None
) -> dict[str, Any]:
    return {
        "application_id": application_id,
        "product_id": product.id if product is not None else None,
        "product_ref": row.product,
        "start_date": row.start_date,
        "end_date": row.end_date,
        "renewal_date": row.renewal_date,
        "auto_renew": row.auto_renew,
        "notice_days": row.notice_days,
        "billing_cycle": row.billing_cycle,
        "seats": row.seats,
        "unit_price": row.unit_price,
        "total_cost": row.total_cost,
        "currency": row.currency,
        "owner_email": row.owner_email,
        "cost_centre": row.cost_centre,
        "department": row.department,
        "is_trial": row.is_trial,
        "notes": row.notes,
    }


def _apply(subscription: Subscription, values: dict[str, Any], fields: tuple[str, ...]) -> bool:
    """Set the ``fields`` whose values differ; return whether any did."""
    changed = False
    for name in fields:
        new = values[name]
        if getattr(subscription, name) != new:
            setattr(subscription, name, new)
            changed = True
    return changed


def relink_contracts(*, session: Session) -> int:
    """Link contracts whose product text now matches an inventory product; return how many.

    Called after a sync, since contracts are often imported before the products exist.
    Contracts another transaction holds (an import or an edit in progress) are skipped,
    not waited for: the sync calling this holds the vendors and applications it created
    until it commits, and an import holding a contract may be waiting for one of them —
    a deadlock that used to fail one side. A skipped contract links on the next sync
    (or by its own import, when that finds the product).
    """
    linked = 0
    pending = session.exec(
        select(Subscription)
        .where(col(Subscription.product_id).is_(None))
        .where(col(Subscription.product_ref).is_not(None))
        .with_for_update(skip_locked=True)
    ).all()
    for subscription in pending:
        assert subscription.product_ref is not None
        product = find_product(
            session=session,
            ref=subscription.product_ref,
            application_id=subscription.application_id,
        )
        if product is not None:
            subscription.product_id = product.id
            subscription.updated_at = utcnow()
            session.add(subscription)
            linked += 1
    session.flush()
    return linked


def list_subscriptions(
    *, session: Session, limit: int | None = None, offset: int = 0
) -> tuple[list[SubscriptionRead], int]:
    """Contracts by renewal date (undated last), then vendor and number; and their total."""
    total = session.exec(select(func.count()).select_from(Subscription)).one()
    query = (
        select(Subscription, Vendor.name, Application.name)
        .join(Vendor, col(Vendor.id) == Subscription.vendor_id)
        .join(Application, col(Application.id) == Subscription.application_id)
        .order_by(
            col(Subscription.renewal_date).is_(None),
            col(Subscription.renewal_date),
            func.lower(Vendor.name),
            col(Subscription.contract_number),
        )
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    items = [
        subscription_read(sub, vendor=vendor, application=app_name)
        for sub, vendor, app_name in session.exec(query).all()
    ]
    return items, int(total)


def read_subscription(*, session: Session, subscription: Subscription) -> SubscriptionRead:
    """Return one contract in its listed shape (what an edit answers, as the list shows it)."""
    vendor = session.get(Vendor, subscription.vendor_id)
    application = session.get(Application, subscription.application_id)
    return subscription_read(
        subscription,
        vendor=vendor.name if vendor else "",
        application=application.name if application else "",
    )


def subscription_read(sub: Subscription, *, vendor: str, application: str) -> SubscriptionRead:
    """The listed shape of one contract."""
    deadline = (
        sub.renewal_date - timedelta(days=sub.notice_days) if sub.renewal_date is not None else None
    )
    assert sub.id is not None  # a stored contract
    return SubscriptionRead(
        id=sub.id,
        contract_number=sub.contract_number,
        vendor=vendor,
        application=application,
        product=sub.product_ref,
        renewal_date=sub.renewal_date,
        auto_renew=sub.auto_renew,
        notice_days=sub.notice_days,
        notice_deadline=deadline,
        seats=sub.seats,
        unit_price=money_text(sub.unit_price),
        total_cost=money_text(sub.total_cost),
        currency=sub.currency,
        owner_email=sub.owner_email,
        is_trial=sub.is_trial,
    )
