"""Benchmark the analytics on a synthetic company: 100k people, 1M assignments, 300 apps.

Run: ``python bench/analytics.py [--people N] [--assignments N] [--apps N] [--seed S]``.
Prints, per module, the wall time and the process's peak RSS so far, then the total of
one ``run_all``. Targets: full analysis <= 5 s and <= 1 GB peak RSS.
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import threading
import time
from collections.abc import Callable, Sized
from datetime import date
from decimal import Decimal
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analytics.engine import CONTRACT_RULES, SEAT_RULES, run_all
from analytics.frames import Frames
from analytics.model import Policy
from analytics.seats import SeatTable, build_seat_table

TODAY = date(2026, 11, 25)
CAPABILITIES = [f"cap_{i:02d}" for i in range(60)] + ["team_chat", "video_meetings"]
SUITE_CAPS = "email|team_chat|video_meetings|documents|storage|cap_01|cap_02"


def peak_rss_mb() -> float:
    """Return the process's peak resident set size so far, in MiB (Linux: KiB units)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class RssSampler:
    """Sample the current RSS every few milliseconds to find one step's own peak."""

    def __init__(self) -> None:
        self._process = psutil.Process()
        self._stop = threading.Event()
        self.peak = 0.0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._process.memory_info().rss / 2**20)
            self._stop.wait(0.005)

    def __enter__(self) -> RssSampler:
        self.peak = self._process.memory_info().rss / 2**20
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._process.memory_info().rss / 2**20)


def build_company(people: int, assignments: int, apps: int, seed: int) -> Frames:
    """Build a synthetic company with the given sizes."""
    rng = np.random.default_rng(seed)
    now = pd.Timestamp(TODAY, tz="UTC")

    n_suites = 5
    app_ids = np.arange(1, apps + 1)
    is_suite = app_ids <= n_suites
    # Standalone apps: one primary capability, a second one for 30% of them.
    app_caps = [
        SUITE_CAPS
        if suite
        else "|".join(rng.choice(CAPABILITIES, size=1 + int(rng.random() < 0.3), replace=False))
        for suite in is_suite
    ]
    applications = pd.DataFrame(
        {
            "application_id": app_ids,
            "name": [f"App {i}" for i in app_ids],
            "vendor": [f"Vendor {i}" for i in app_ids],
            "category": "productivity",
            "catalog_key": [f"app_{i}" for i in app_ids],
            "is_suite": is_suite,
            "capabilities": app_caps,
        }
    )

    # Two products (SKUs) per application.
    n_products = apps * 2
    product_ids = np.arange(1, n_products + 1)
    product_app = np.repeat(app_ids, 2)
    prices = rng.integers(0, 5000, size=n_products) / 100
    is_free = rng.random(n_products) < 0.1
    products = pd.DataFrame(
        {
            "product_id": product_ids,
            "application_id": product_app,
            "external_id": [f"sku-{i}" for i in product_ids],
            "sku": [f"SKU{i}" for i in product_ids],
            "name": [f"Product {i}" for i in product_ids],
            "seats_purchased": pd.array(rng.integers(100, 20000, size=n_products), dtype="Int64"),
            "seats_consumed": pd.array(rng.integers(100, 20000, size=n_products), dtype="Int64"),
            "list_price": [Decimal(f"{p:.2f}") for p in prices],
            "list_currency": "USD",
            "catalog_capabilities": None,
            "is_free": is_free,
        }
    )

    person_ids = np.arange(1, people + 1)
    idp = np.where(rng.random(people) < 0.03, "suspended", "active").astype(object)
    persons = pd.DataFrame(
        {
            "person_id": person_ids,
            "email": [f"user{i}@example.com" for i in person_ids],
            "display_name": [f"User {i}" for i in person_ids],
            "department": "Dept",
            "cost_centre": "CC",
            "idp_status": idp,
        }
    )

    # Every person has an IdP account; 60% a second source, 40% a third.
    owners = [
        person_ids,
        person_ids[rng.random(people) < 0.6],
        person_ids[rng.random(people) < 0.4],
    ]
    account_person = np.concatenate(owners)
    connector = np.concatenate([np.full(len(o), i + 1) for i, o in enumerate(owners)])
    n_accounts = len(account_person)
    status = rng.choice(["active", "suspended", "deleted"], size=n_accounts, p=[0.96, 0.03, 0.01])
    idle_days = np.minimum(rng.exponential(50, size=n_accounts).astype(np.int64), 700)
    last_active = pd.Series(now - pd.to_timedelta(idle_days, unit="D"))
    last_active = last_active.where(rng.random(n_accounts) >= 0.05)
    accounts = pd.DataFrame(
        {
            "account_id": np.arange(1, n_accounts + 1),
            "connector_id": pd.array(connector, dtype="Int64"),
            "connector_kind": "kind",
            "person_id": pd.array(account_person, dtype="Int64"),
            "email": [f"user{p}@example.com" for p in account_person],
            "status": status.astype(object),
            "is_guest": rng.random(n_accounts) < 0.02,
            "created_at": now - pd.to_timedelta(rng.integers(0, 2000, n_accounts), unit="D"),
            "first_seen_at": now - pd.Timedelta(days=500),
            "last_active_at": last_active,
            "activity_known": rng.random(n_accounts) < 0.95,
            "removed": False,
        }
    )

    # Suite seats for most people's IdP account, the rest random (deduplicated).
    suite_share = min(people, assignments // 5)
    pairs_acc = np.concatenate(
        [
            np.arange(1, suite_share + 1),
            rng.integers(1, n_accounts + 1, size=int((assignments - suite_share) * 1.05)),
        ]
    )
    pairs_prod = np.concatenate(
        [
            rng.integers(1, n_suites * 2 + 1, size=suite_share),
            rng.integers(n_suites * 2 + 1, n_products + 1, size=len(pairs_acc) - suite_share),
        ]
    )
    codes = np.unique(pairs_acc.astype(np.int64) * 100_000 + pairs_prod)[:assignments]
    assigned = pd.DataFrame(
        {
            "account_id": codes // 100_000,
            "product_id": codes % 100_000,
            "assigned_at": now - pd.Timedelta(days=200),
        }
    )

    n_subs = 400
    sub_products = rng.choice(product_ids, size=n_subs)
    starts = pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 300, n_subs), unit="D")
    subscriptions = pd.DataFrame(
        {
            "subscription_id": np.arange(1, n_subs + 1),
            "contract_number": [f"C-{i:04d}" for i in range(1, n_subs + 1)],
            "vendor": "Vendor",
            "application_id": pd.array(product_app[sub_products - 1], dtype="Int64"),
            "product_id": pd.array(sub_products, dtype="Int64"),
            "product_ref": None,
            "start_date": starts,
            "end_date": starts + pd.Timedelta(days=364),
            "renewal_date": starts + pd.Timedelta(days=365),
            "auto_renew": rng.random(n_subs) < 0.7,
            "notice_days": pd.array(rng.choice([0, 30, 60, 90], n_subs), dtype="Int64"),
            "billing_cycle": rng.choice(["monthly", "annual", "triennial"], n_subs).astype(object),
            "seats": pd.array(rng.integers(10, 5000, n_subs), dtype="Int64"),
            "unit_price": [Decimal(int(v)) for v in rng.integers(1, 1000, n_subs)],
            "total_cost": None,
            "currency": "USD",
            "is_trial": rng.random(n_subs) < 0.05,
            "owner_email": "owner@example.com",
        }
    )
    return Frames(
        accounts=accounts,
        persons=persons,
        assignments=assigned,
        products=products,
        applications=applications,
        subscriptions=subscriptions,
    )


def main() -> None:
    """Build the company, time each module, then time one full ``run_all``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--assignments", type=int, default=1_000_000)
    parser.add_argument("--apps", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    started = time.perf_counter()
    frames = build_company(args.people, args.assignments, args.apps, args.seed)
    print(
        f"built {len(frames.persons):,} people, {len(frames.accounts):,} accounts, "
        f"{len(frames.assignments):,} assignments, {len(frames.applications):,} apps "
        f"in {time.perf_counter() - started:.2f} s; peak RSS {peak_rss_mb():.0f} MiB"
    )
    policy = Policy()
    baseline = peak_rss_mb()

    # The full analysis first, on a fresh heap: this is the number the targets apply to.
    started, cpu_started = time.perf_counter(), time.process_time()
    result = run_all(frames, policy, TODAY)
    total = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    total_peak = peak_rss_mb()
    counts: dict[str, int] = {}
    for finding in result.findings:
        counts[finding.kind] = counts.get(finding.kind, 0) + 1
    print(
        "run_all step timings (s): " + ", ".join(f"{k} {v:.3f}" for k, v in result.timings.items())
    )
    print("findings by kind: " + ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())))
    print(
        f"run_all: {total:.3f} s wall ({cpu:.3f} s CPU), {len(result.findings):,} findings, "
        f"peak RSS {total_peak:.0f} MiB (data alone {baseline:.0f} MiB; "
        "targets <= 5 s, <= 1024 MiB)"
    )
    del result

    # Then each module alone over a shared seat table, with its own RSS peak.
    gc.collect()
    print(f"{'module':<14}{'seconds':>9}{'CPU s':>8}{'findings':>10}{'peak RSS MiB':>14}")

    def measure(name: str, step: Callable[[], Sized]) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        with RssSampler() as rss:
            out = step()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        count = f"{len(out):,}" if isinstance(out, list) else ""
        print(f"{name:<14}{wall:>9.3f}{cpu:>8.3f}{count:>10}{rss.peak:>14.0f}")

    tables: list[SeatTable] = []

    def build_seats() -> tuple[()]:
        tables.append(build_seat_table(frames, TODAY))
        return ()

    measure("seats", build_seats)
    for name, seat_rule in SEAT_RULES:
        measure(name, partial(seat_rule, frames, policy, TODAY, seats=tables[0]))
    for name, contract_rule in CONTRACT_RULES:
        measure(name, partial(contract_rule, frames, policy, TODAY))

    ok = total <= 5 and total_peak <= 1024
    print("OK: within targets" if ok else "OVER TARGET")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
