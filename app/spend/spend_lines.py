"""The spend model: what each contract costs in each month, as whole-cent "spend lines".

A contract that has any invoice is costed by its invoices alone — each invoice in the
month of its ``invoice_date`` — and never amortised, in any month. A contract without
invoices is amortised: its term cost (``total_cost`` if set, else ``unit_price * seats
* term months / billing-cycle months``), rounded half-up to the cent, is split evenly
over the months of its term (see ``analytics.spend`` for term months and the
largest-remainder split; leftover cents go to the earliest months). The term ends on
``end_date``, else the day before ``renewal_date``; a contract with neither is open-ended
and costs ``total_cost`` (or ``unit_price * seats``) per billing cycle, each cycle split
evenly over its months. Invoices tied to no contract are spend of their vendor (and
application, when given) and are never allocated to departments.

Amounts stay in their own currency here; ``rate_day`` is the day whose FX rate converts
the line (the invoice date, or the last day of the month for amortised cost).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, col, select

from analytics.frames import BILLING_CYCLE_MONTHS
from analytics.spend import month_end, month_index, split_evenly, term_months, to_cents
from app.inventory.models import Application, Product, Subscription, Vendor
from app.spend.models import Invoice

UNALLOCATED = "Unallocated"
NO_APPLICATION = "(no application)"
UNCATEGORISED = "Uncategorised"

LINE_COLUMNS = [
    "month",
    "cents",
    "currency",
    "rate_day",
    "subscription_id",
    "product_id",
    "seats",
    "application",
    "vendor",
    "category",
    "department",
    "cost_centre",
    "alloc_month",
]


@dataclass(frozen=True)
class ContractInfo:
    """One contract with what costing and allocating it needs."""

    subscription_id: int
    contract_number: str
    vendor: str
    application: str
    category: str
    product_id: int | None  # the product whose seat holders share its cost
    seats: int | None
    currency: str
    start: date
    end: date | None
    auto_renew: bool
    cycle_months: int | None
    unit_price: Decimal | None
    total_cost: Decimal | None
    department: str | None
    cost_centre: str | None
    invoiced: bool

    @property
    def term_months(self) -> int | None:
        """Months of the term (None when open-ended)."""
        return None if self.end is None else term_months(self.start, self.end)

    def term_cost_cents(self) -> int | None:
        """The cost of the whole term in cents (None when open-ended or unpriced)."""
        months = self.term_months
        if months is None or months == 0:
            return None
        if self.total_cost is not None:
            return to_cents(self.total_cost)
        if self.unit_price is None or self.seats is None or not self.cycle_months:
            return None
        return to_cents(self.unit_price * self.seats * months / self.cycle_months)

    def cycle_cost_cents(self) -> int | None:
        """The cost of one billing cycle in cents, for an open-ended contract."""
        if not self.cycle_months:
            return None
        if self.total_cost is not None:
            return to_cents(self.total_cost)
        if self.unit_price is None or self.seats is None:
            return None
        return to_cents(self.unit_price * self.seats)

    def schedule(self, first: int, last: int) -> list[tuple[int, int]]:
        """Return ``(month, cents)`` of the amortised cost in months ``first..last``."""
        start = month_index(self.start)
        if self.end is not None:
            cost = self.term_cost_cents()
            months = self.term_months or 0
            if cost is None:
                return []
            parts = split_evenly(cost, months)
            return [
                (start + i, cents)
                for i, cents in enumerate(parts)
                if first <= start + i <= last and cents
            ]
        cycle = self.cycle_cost_cents()
        if cycle is None or self.cycle_months is None:
            return []
        parts = split_evenly(cycle, self.cycle_months)
        return [
            (m, parts[(m - start) % self.cycle_months])
            for m in range(max(first, start), last + 1)
            if parts[(m - start) % self.cycle_months]
        ]


def load_contracts(*, session: Session) -> list[ContractInfo]:
    """Read every contract with its vendor, application, category and seat product."""
    single_product: dict[int, int] = {}
    counts: dict[int, list[int]] = {}
    for product_id, app_id in session.exec(select(Product.id, Product.application_id)).all():
        counts.setdefault(app_id, []).append(int(product_id))  # type: ignore[arg-type]
    for app_id, ids in counts.items():
        if len(ids) == 1:
            single_product[app_id] = ids[0]
    invoiced = {
        int(sid)
        for sid in session.exec(
            select(Invoice.subscription_id)
            .where(Invoice.subscription_id.is_not(None))  # type: ignore[union-attr]
            .distinct()
        ).all()
        if sid is not None
    }
    query = (
        select(Subscription, Vendor.name, Application.name, Application.category)
        .join(Vendor, Vendor.id == Subscription.vendor_id)  # type: ignore[arg-type]
        .join(Application, Application.id == Subscription.application_id)  # type: ignore[arg-type]
        .order_by(Subscription.id)  # type: ignore[arg-type]
    )
    contracts: list[ContractInfo] = []
    for sub, vendor, app_name, category in session.exec(query).all():
        assert sub.id is not None
        end = sub.end_date
        if end is None and sub.renewal_date is not None:
            end = sub.renewal_date - timedelta(days=1)
        cycle = BILLING_CYCLE_MONTHS.get((sub.billing_cycle or "").strip().lower())
        product_id = sub.product_id or single_product.get(sub.application_id)
        contracts.append(
            ContractInfo(
                subscription_id=sub.id,
                contract_number=sub.contract_number,
                vendor=vendor,
                application=app_name,
                category=category or UNCATEGORISED,
                product_id=product_id,
                seats=sub.seats,
                currency=sub.currency.upper(),
                start=sub.start_date,
                end=end,
                auto_renew=sub.auto_renew,
                cycle_months=cycle,
                unit_price=None if sub.unit_price is None else Decimal(sub.unit_price),
                total_cost=None if sub.total_cost is None else Decimal(sub.total_cost),
                department=sub.department or None,
                cost_centre=sub.cost_centre or None,
                invoiced=sub.id in invoiced,
            )
        )
    return contracts


def contract_line(c: ContractInfo, month: int, cents: int, rate_day: date) -> tuple[object, ...]:
    """Return one spend line of a contract (in ``LINE_COLUMNS`` order)."""
    return (
        month,
        cents,
        c.currency,
        rate_day,
        c.subscription_id,
        -1 if c.product_id is None else c.product_id,
        -1 if c.seats is None else c.seats,
        c.application,
        c.vendor,
        c.category,
        c.department,
        c.cost_centre,
        month,
    )


def lines_frame(rows: Iterable[tuple[object, ...]]) -> pd.DataFrame:
    """Build a spend-line frame from tuples in ``LINE_COLUMNS`` order."""
    frame = pd.DataFrame(list(rows), columns=LINE_COLUMNS)
    for column in ("month", "cents", "subscription_id", "product_id", "seats", "alloc_month"):
        frame[column] = frame[column].astype("int64")
    return frame


def actual_lines(
    *, session: Session, contracts: list[ContractInfo], first: int, last: int
) -> pd.DataFrame:
    """Return the spend lines of months ``first..last``: invoices, else amortised cost."""
    rows: list[tuple[object, ...]] = []
    for c in contracts:
        if c.invoiced:
            continue
        rows.extend(
            contract_line(c, m, cents, month_end(m)) for m, cents in c.schedule(first, last)
        )
    rows.extend(invoice_rows(session=session, contracts=contracts, first=first, last=last))
    return lines_frame(rows)


def invoice_rows(
    *, session: Session, contracts: list[ContractInfo], first: int, last: int
) -> list[tuple[object, ...]]:
    """Return the spend lines of invoices dated in months ``first..last``."""
    by_id = {c.subscription_id: c for c in contracts}
    start, end = month_end(first - 1) + timedelta(days=1), month_end(last)
    query = (
        sa.select(
            col(Invoice.subscription_id),
            col(Invoice.invoice_date),
            col(Invoice.amount),
            col(Invoice.currency),
            col(Vendor.name),
            col(Application.name),
            col(Application.category),
        )
        .join(Vendor, col(Vendor.id) == col(Invoice.vendor_id))
        .outerjoin(Application, col(Application.id) == col(Invoice.application_id))
        .where(col(Invoice.invoice_date) >= start, col(Invoice.invoice_date) <= end)
        .order_by(col(Invoice.invoice_date), col(Invoice.id))
    )
    rows: list[tuple[object, ...]] = []
    for sub_id, day, amount, currency, vendor, app_name, category in session.execute(query):
        cents = to_cents(Decimal(amount))
        contract = by_id.get(sub_id) if sub_id is not None else None
        month = month_index(day)
        if contract is not None:
            line = list(contract_line(contract, month, cents, day))
            line[2] = str(currency).upper()
            rows.append(tuple(line))
            continue
        rows.append(
            (
                month,
                cents,
                str(currency).upper(),
                day,
                -1,
                -1,
                -1,
                app_name or NO_APPLICATION,
                vendor,
                (category or UNCATEGORISED) if app_name else UNCATEGORISED,
                None,
                None,
                month,
            )
        )
    return rows


def invoice_months(*, session: Session) -> tuple[int, int] | None:
    """Return the first and last month any invoice is dated in (None without invoices)."""
    low, high = session.execute(
        sa.select(sa.func.min(Invoice.invoice_date), sa.func.max(Invoice.invoice_date))
    ).one()
    if low is None or high is None:
        return None
    return month_index(low), month_index(high)
