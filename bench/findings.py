"""Benchmark the findings pipeline on a database: load frames, analyze, upsert findings.

Run: ``python bench/findings.py [--people N] [--seats-per-account N] [--database URL]``.
Builds a synthetic company (100,000 people, an identity provider and a second source,
1,000,000 assignments by default) in a fresh SQLite file (or the given empty, migrated
database), then times loading the frames from the database, one full ``analyze`` (first
run: inserts every finding) and a second ``analyze`` (updates them), and prints the
process's peak RSS. Targets: each analyze in seconds, peak RSS under 1 GB.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.core import migrate
from app.core.db import make_engine
from app.core.settings import Settings
from app.findings.catalog_service import effective_catalog
from app.findings.frames_loader import load_frames
from app.findings.service import analyze
from app.models import metadata

TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
CHUNK = 50_000


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _insert(conn: sa.Connection, table: str, rows: list[dict[str, object]]) -> None:
    for start in range(0, len(rows), CHUNK):
        conn.execute(metadata.tables[table].insert(), rows[start : start + CHUNK])


def build(engine: sa.Engine, people: int, seats_per_account: int) -> int:
    """Fill the database; return the number of assignments."""
    rnd = random.Random(7)
    with engine.begin() as conn:
        _insert(
            conn,
            "connector_config",
            [
                {
                    "id": 1,
                    "kind": "microsoft365",
                    "name": "idp",
                    "config": {"identity_provider": True},
                    "enabled": True,
                    "created_at": NOW,
                    "updated_at": NOW,
                },
                {
                    "id": 2,
                    "kind": "spreadsheet",
                    "name": "apps",
                    "config": {},
                    "enabled": True,
                    "created_at": NOW,
                    "updated_at": NOW,
                },
            ],
        )
        _insert(conn, "vendor", [{"id": 1, "name": "Bench Vendor", "created_at": NOW}])
        apps = [
            {"id": i, "name": f"App {i}", "vendor_id": 1, "status": "active", "created_at": NOW}
            for i in range(1, 51)
        ]
        _insert(conn, "application", apps)
        products = [
            {
                "id": i,
                "application_id": (i - 1) // 2 + 1,
                "connector_id": 1 if i <= 20 else 2,
                "external_id": f"sku-{i}",
                "name": f"Product {i}",
                "list_price": Decimal("12.5"),
                "list_price_currency": "EUR",
                "seats_purchased": people,
                "status": "active",
                "first_seen_at": NOW,
                "last_seen_at": NOW,
            }
            for i in range(1, 101)
        ]
        _insert(conn, "product", products)
        _insert(
            conn,
            "person",
            [
                {
                    "id": i,
                    "email": f"p{i}@bench.example",
                    "status": "active",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for i in range(1, people + 1)
            ],
        )
        accounts = []
        for connector in (1, 2):
            for i in range(1, people + 1):
                status = "suspended" if connector == 1 and rnd.random() < 0.02 else "active"
                last = None if rnd.random() < 0.03 else NOW - timedelta(days=rnd.randint(0, 200))
                accounts.append(
                    {
                        "id": (connector - 1) * people + i,
                        "connector_id": connector,
                        "external_id": f"a{i}",
                        "person_id": i,
                        "email": f"p{i}@bench.example",
                        "status": status,
                        "is_guest": False,
                        "is_admin": False,
                        "last_active_at": last,
                        "vendor_created_at": NOW - timedelta(days=400),
                        "activity_known": True,
                        "first_seen_at": NOW,
                        "last_seen_at": NOW,
                    }
                )
        _insert(conn, "account", accounts)
        assignments = []
        for account in accounts:
            base = 0 if account["connector_id"] == 1 else 20
            span = 20 if account["connector_id"] == 1 else 80
            for product in rnd.sample(range(base + 1, base + span + 1), seats_per_account):
                assignments.append(
                    {
                        "account_id": account["id"],
                        "product_id": product,
                        "first_seen_at": NOW,
                        "last_seen_at": NOW,
                    }
                )
        _insert(conn, "assignment", assignments)
    return len(assignments)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seats-per-account", type=int, default=5)
    parser.add_argument("--database", help="An empty database URL (default: a temp SQLite file)")
    args = parser.parse_args()
    url = args.database or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    engine = make_engine(url)
    migrate.upgrade(engine)
    started = time.perf_counter()
    n = build(engine, args.people, args.seats_per_account)
    print(f"built {n:,} assignments in {time.perf_counter() - started:.1f} s")
    settings = Settings(environment="test", secret_key="b" * 40, database_url=url)
    with Session(engine) as session:
        started = time.perf_counter()
        frames = load_frames(
            session=session, today=TODAY, catalog=effective_catalog(session=session)
        )
        print(
            f"load frames: {time.perf_counter() - started:.2f} s "
            f"({len(frames.assignments):,} assignments)  peak RSS {_rss_mb():.0f} MB"
        )
        del frames
        for label in ("first analyze (insert)", "second analyze (update)"):
            started = time.perf_counter()
            summary = analyze(session=session, settings=settings, today=TODAY)
            session.flush()
            elapsed = time.perf_counter() - started
            print(
                f"{label}: {elapsed:.2f} s, {sum(summary.counts.values()):,} findings, "
                f"new {summary.new:,}  peak RSS {_rss_mb():.0f} MB"
            )
        session.rollback()
    engine.dispose()


if __name__ == "__main__":
    main()
