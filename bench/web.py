"""Benchmark the web UI's heaviest pages on a 100,000-person inventory.

Run: ``python bench/web.py [--backend sqlite|postgresql|both] [--people N] [--requests N]``.
For each backend it builds the inventory of ``bench/web_inventory.py`` with bulk inserts
(a scratch SQLite file; a temporary schema of the ``test`` PostgreSQL database, dropped
afterwards), creates the app with ``app.main.create_app``, signs in an admin (a signed
session cookie, as the browser has), and requests the dashboard, the applications
table, the biggest application's page and the findings list repeatedly in one process.
It prints p50 / p95 / max of the in-process server time per page and the load average,
and exits 1 when any page's p95 exceeds the target (200 ms).
"""

from __future__ import annotations

import argparse
import gc
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.auth.models import User
from app.core import migrate
from app.core.db import make_engine
from app.core.settings import Settings
from app.main import create_app
from bench.web_inventory import Shape, build_inventory
from tests.login_cookie import COOKIE, login_cookie

TARGET_MS = 200.0
PG_BASE_URL = os.environ.get(
    "SEATWISE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SECRET = "bench-secret-" + "k" * 32
COLUMNS = ("cold", "p50", "p95", "max", "cpu95")


@contextmanager
def scratch_database(backend: str) -> Iterator[str]:
    """A URL of an empty database of ``backend``, removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'web-bench.db'}"
        return
    schema = f"sw_bench_web_{int(time.time())}_{secrets.token_hex(3)}"
    admin = sa.create_engine(PG_BASE_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_BASE_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) by the nearest-rank method."""
    ordered = sorted(values)
    rank = max(1, round(q * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def measure(
    client: TestClient, path: str, warmup: int, requests: int
) -> tuple[float, list[float], list[float]]:
    """Time GETs of ``path``: the first (cold) one, then ``requests`` after ``warmup`` more.

    Returns the cold time and the warm wall and CPU times, in ms. The app runs in this
    process (the test client calls it directly), so process CPU time is the server's
    Python and SQLite work; PostgreSQL's own work is in its server, not counted.
    """
    started = time.perf_counter()
    response = client.get(path, follow_redirects=False)  # a redirect to /login is no page
    cold = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"GET {path} answered {response.status_code}: {response.text[:300]}")
    for _ in range(warmup):
        client.get(path)
    wall, cpu = [], []
    for _ in range(requests):
        started, cpu_started = time.perf_counter(), time.process_time()
        response = client.get(path, follow_redirects=False)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
        assert response.status_code == 200, path
    return cold, wall, cpu


def run_backend(backend: str, shape: Shape, requests: int, warmup: int) -> list[dict[str, object]]:
    """Build the inventory on ``backend`` and time every page; return the result rows."""
    today = date.today()
    with scratch_database(backend) as url:
        engine = make_engine(url)
        try:
            migrate.upgrade(engine)
            started = time.perf_counter()
            built = build_inventory(engine, shape, today)
            took = time.perf_counter() - started
            summary = ", ".join(f"{k} {v:,}" for k, v in built.counts.items() if v > 1000)
            print(f"[{backend}] built in {took:.1f} s: {summary}", flush=True)
            with Session(engine) as session:
                admin = User(email="bench@example.com", role="admin", password_hash="x")
                session.add(admin)
                session.commit()
                user_id = int(admin.id or 0)
            settings = Settings(
                database_url=url, secret_key=SECRET, environment="test", reporting_currency="EUR"
            )
            # A server process starts with a small heap; this one has just built a million
            # rows. Freeze what is left so its garbage collections do not count as pages.
            gc.collect()
            gc.freeze()
            client = TestClient(create_app(settings, engine), base_url="http://testserver")
            client.cookies.set(COOKIE, login_cookie(engine, user_id, SECRET, 3600))
            pages = {
                "dashboard": "/",
                "applications": "/applications",
                "application detail": f"/applications/{built.big_application_id}",
                "findings": "/findings",
            }
            rows = []
            for name, path in pages.items():
                cold, times, cpu = measure(client, path, warmup, requests)
                rows.append(
                    {
                        "backend": backend,
                        "page": name,
                        "path": path,
                        "cold": cold,
                        "p50": statistics.median(times),
                        "p95": percentile(times, 0.95),
                        "max": max(times),
                        "cpu95": percentile(cpu, 0.95),
                    }
                )
                print(f"[{backend}] {name}: p95 {rows[-1]['p95']:.0f} ms", flush=True)
            client.close()
        finally:
            engine.dispose()
    return rows


def main() -> int:
    """Run the benchmark on the chosen backends and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--findings", type=int, default=60_000)
    parser.add_argument("--requests", type=int, default=30, help="measured requests per page")
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    if args.people < 10 or args.requests < 1:
        parser.error("--people must be at least 10 and --requests at least 1")
    shape = Shape(people=args.people, findings=args.findings)
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    rows: list[dict[str, object]] = []
    for backend in backends:
        rows.extend(run_backend(backend, shape, args.requests, args.warmup))
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print()
    print(f"{args.people:,} people, {args.requests} warm requests per page; load average {load}")
    heads = ("first ms", "p50 ms", "p95 ms", "max ms", "CPU p95 ms")
    print(f"| {'backend':<10} | {'page':<18} | " + " | ".join(heads) + " |")
    print(f"|{'-' * 12}|{'-' * 20}|" + "|".join("-" * (len(h) + 1) + ":" for h in heads) + "|")
    slow = []
    for r in rows:
        cells = [f"{float(r[k]):>{len(h)}.0f}" for k, h in zip(COLUMNS, heads, strict=True)]  # type: ignore[arg-type]
        print(f"| {r['backend']:<10} | {r['page']:<18} | " + " | ".join(cells) + " |")
        if float(r["p95"]) > TARGET_MS:  # type: ignore[arg-type]
            slow.append(f"{r['backend']} {r['page']}")
    verdict = "OK" if not slow else "SLOW: " + ", ".join(slow)
    print(f"target p95 <= {TARGET_MS:.0f} ms: {verdict}")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
