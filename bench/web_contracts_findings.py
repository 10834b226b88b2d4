"""Contracts, invoices and findings of the web benchmark's inventory (see ``web_inventory``)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

FINDING_KINDS = ("unused_seat", "never_used", "leaver_seat", "overlap", "over_purchase")
STATUSES = ("open",) * 8 + ("acknowledged", "dismissed", "resolved")
SEVERITIES = ("critical", "high", "medium", "low")


def at(day: date) -> datetime:
    """Nine in the morning, UTC, of ``day``."""
    return datetime.combine(day, time(9), tzinfo=UTC)


SUB_COLUMNS = (
    "id",
    "vendor_id",
    "application_id",
    "product_id",
    "contract_number",
    "start_date",
    "end_date",
    "renewal_date",
    "auto_renew",
    "notice_days",
    "billing_cycle",
    "seats",
    "unit_price",
    "currency",
    "owner_email",
    "is_trial",
    "created_at",
    "updated_at",
)
INVOICE_COLUMNS = (
    "vendor_id",
    "application_id",
    "subscription_id",
    "invoice_number",
    "invoice_date",
    "amount",
    "currency",
    "created_at",
)


def contracts_and_invoices(
    rng: random.Random, n_apps: int, vendors: int, today: date
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """One current contract per application (a third also have an expired one)."""
    subs: list[tuple[Any, ...]] = []
    invoices: list[tuple[Any, ...]] = []
    now = at(today)
    sub_id = 0
    for app_id in range(1, n_apps + 1):
        vendor = (app_id - 1) % vendors + 1
        terms = [today - timedelta(days=rng.randrange(30, 700))]
        if app_id % 3 == 0:
            terms.append(terms[0] - timedelta(days=365))
        for start in terms:
            sub_id += 1
            end = start + timedelta(days=364)
            currency = "USD" if app_id % 4 == 0 else "EUR"
            subs.append(
                (
                    sub_id,
                    vendor,
                    app_id,
                    (app_id - 1) * 2 + 1,
                    f"C-{sub_id:05d}",
                    start,
                    end,
                    end + timedelta(days=1),
                    app_id % 2 == 0,
                    rng.choice((0, 30, 60, 90)),
                    "annual" if app_id % 5 else "monthly",
                    rng.randrange(100, 5_000),
                    Decimal(rng.randrange(300, 6_000)) / 100,
                    currency,
                    f"owner{app_id}@example.com",
                    False,
                    now,
                    now,
                )
            )
            if app_id % 2 == 0:
                for m in range(24):
                    day = today - timedelta(days=30 * m + 5)
                    invoices.append(
                        (
                            vendor,
                            app_id,
                            sub_id,
                            f"INV-{sub_id}-{m}",
                            day,
                            Decimal(rng.randrange(10_000, 900_000)) / 100,
                            currency,
                            now,
                        )
                    )
    return subs, invoices


FINDING_COLUMNS = (
    "key",
    "kind",
    "severity",
    "application_id",
    "product_id",
    "subject",
    "evidence",
    "fingerprint",
    "monthly_savings",
    "currency",
    "status",
    "status_reason",
    "first_seen",
    "last_seen",
)


def findings(
    rng: random.Random, count: int, people: int, n_apps: int, now: datetime
) -> Iterator[tuple[Any, ...]]:
    """Findings spread over the applications; app 1 gets a tenth of them."""
    for i in range(count):
        app_id = 1 if i % 10 == 0 else rng.randrange(1, n_apps + 1)
        kind = FINDING_KINDS[i % len(FINDING_KINDS)]
        status = rng.choice(STATUSES)
        yield (
            f"{kind}:{i}:{app_id}",
            kind,
            rng.choice(SEVERITIES),
            app_id,
            (app_id - 1) * 2 + 1,
            f"person{i % people + 1}@example.com",
            {"last_active_days": rng.randrange(90, 400), "seat": f"SKU{app_id}"},
            f"{i:064x}"[-64:],
            Decimal(rng.randrange(100, 6_000)) / 100,
            "USD" if app_id % 4 == 0 else "EUR",
            status,
            "kept on purpose" if status == "dismissed" else None,
            now,
            now,
        )
