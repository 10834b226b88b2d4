"""Benchmark the spend report: 2,000 contracts, 36 months of invoices, 100,000 people.

Run: ``python bench/spend.py [--people N] [--contracts N] [--database URL]``.
Builds a synthetic company in a fresh SQLite file (or the given empty database), then
times the yearly spend report by department in JSON, CSV and XLSX, each from a fresh
session (load + model + allocation + FX + file). Target: each format <= 3 s.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.core import migrate
from app.core.db import make_engine
from app.models import metadata
from app.spend import export, service

TARGET_SECONDS = 3.0


def build(engine: sa.Engine, people: int, contracts: int, seed: int) -> None:
    """Insert the synthetic company with bulk inserts."""
    rng = random.Random(seed)
    t = metadata.tables
    now = datetime(2026, 11, 25, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            t["connector_config"].insert(),
            [
                {
                    "id": 1,
                    "kind": "spreadsheet",
                    "name": "idp",
                    "config": {},
                    "enabled": True,
                    "created_at": now,
                    "updated_at": now,
                }
            ],
        )
        conn.execute(
            t["vendor"].insert(),
            [{"id": i, "name": f"Vendor {i}", "created_at": now} for i in range(1, 201)],
        )
        conn.execute(
            t["application"].insert(),
            [
                {
                    "id": i,
                    "name": f"App {i}",
                    "vendor_id": (i % 200) + 1,
                    "category": f"Cat {i % 12}",
                    "status": "active",
                    "created_at": now,
                }
                for i in range(1, contracts + 1)
            ],
        )
        conn.execute(
            t["product"].insert(),
            [
                {
                    "id": i,
                    "application_id": i,
                    "external_id": f"sku-{i}",
                    "name": f"SKU {i}",
                    "status": "active",
                    "first_seen_at": now,
                    "last_seen_at": now,
                }
                for i in range(1, contracts + 1)
            ],
        )
        conn.execute(
            t["person"].insert(),
            [
                {
                    "id": i,
                    "email": f"p{i}@example.com",
                    "department": f"Dept {i % 40}",
                    "cost_centre": f"CC {i % 100}",
                    "status": "active",
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(1, people + 1)
            ],
        )
        conn.execute(
            t["account"].insert(),
            [
                {
                    "id": i,
                    "connector_id": 1,
                    "external_id": f"a{i}",
                    "person_id": i,
                    "email": f"p{i}@example.com",
                    "status": "active",
                    "is_guest": False,
                    "is_admin": False,
                    "activity_known": True,
                    "first_seen_at": now,
                    "last_seen_at": now,
                }
                for i in range(1, people + 1)
            ],
        )
        seats = []
        for i in range(1, people + 1):
            for product in rng.sample(range(1, contracts + 1), 3):
                seats.append(
                    {
                        "account_id": i,
                        "product_id": product,
                        "first_seen_at": now,
                        "last_seen_at": now,
                        "assigned_at": datetime(
                            2024 + rng.randrange(3), rng.randrange(1, 13), 1, tzinfo=UTC
                        ),
                    }
                )
        conn.execute(t["assignment"].insert(), seats)
        subs, invoices = [], []
        for i in range(1, contracts + 1):
            start = date(2024, 1 + i % 12, 1)
            subs.append(
                {
                    "id": i,
                    "vendor_id": (i % 200) + 1,
                    "application_id": i,
                    "product_id": i,
                    "contract_number": f"C-{i}",
                    "start_date": start,
                    "end_date": date(start.year + 3, start.month, 1) if i % 3 else None,
                    "auto_renew": True,
                    "notice_days": 30,
                    "billing_cycle": "annual",
                    "seats": 200,
                    "unit_price": Decimal(rng.randrange(50, 500)),
                    "currency": "USD" if i % 4 == 0 else "EUR",
                    "is_trial": False,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            if i % 2 == 0:
                for m in range(36):
                    y, mo = divmod(2023 * 12 + 11 + m, 12)
                    invoices.append(
                        {
                            "vendor_id": (i % 200) + 1,
                            "subscription_id": i,
                            "invoice_number": f"I-{i}-{m}",
                            "invoice_date": date(y, mo + 1, 5),
                            "amount": Decimal(rng.randrange(100, 10000)) / 7,
                            "currency": subs[-1]["currency"],
                            "created_at": now,
                        }
                    )
        conn.execute(t["subscription"].insert(), subs)
        conn.execute(t["invoice"].insert(), invoices)
        rates = [
            (date(2023, 12, 31), "0.9"),
            (date(2025, 6, 30), "0.92"),
            (date(2026, 1, 31), "0.93"),
        ]
        conn.execute(
            t["fx_rate"].insert(),
            [
                {"base": "USD", "quote": "EUR", "day": day, "rate": Decimal(rate)}
                for day, rate in rates
            ],
        )


def main() -> int:
    """Build the company and time the report in every format."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--contracts", type=int, default=2_000)
    parser.add_argument("--database", help="an empty database URL (default: a temp SQLite)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        started = time.perf_counter()
        build(engine, args.people, args.contracts, args.seed)
        print(
            f"built {args.people:,} people, {args.contracts:,} contracts, 36 months of invoices "
            f"in {time.perf_counter() - started:.1f} s"
        )
        worst = 0.0
        for fmt in export.FORMATS:
            started = time.perf_counter()
            with Session(engine) as session:
                reports = service.spend_reports(
                    session=session,
                    by=["department"],
                    first=2026 * 12,
                    last=2026 * 12 + 11,
                    currency="EUR",
                )
            out = Path(tmp) / f"spend.{fmt}"
            export.write_atomic(out, lambda r=reports, f=fmt: export.render(r, f))  # type: ignore[misc]
            took = time.perf_counter() - started
            worst = max(worst, took)
            print(
                f"spend report 2026 by department, {fmt:4}: {took:5.2f} s "
                f"({len(reports[0].rows)} rows, {out.stat().st_size:,} bytes)"
            )
        engine.dispose()
    verdict = "OK" if worst <= TARGET_SECONDS else "SLOW"
    print(f"worst {worst:.2f} s (target <= {TARGET_SECONDS:.0f} s): {verdict}")
    return 0 if worst <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
