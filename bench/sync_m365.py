"""Sync a 100,000-user Microsoft 365 tenant from the sandbox; print time, ratio and peak RSS.

The sandbox runs in its own process (so its memory is not counted). Each measured step
runs in a fresh process: the bare fetch (the same pages fetched and parsed into records,
nothing stored), then full syncs into an empty database and again into the filled one,
on SQLite and, when reachable, PostgreSQL (``SEATWISE_BENCH_POSTGRES_URL``, else the
test suite's ``SEATWISE_TEST_POSTGRES_URL``). Targets: full / bare ≤ 1.5, peak RSS ≤ 500 MB.

Usage: ``python bench/sync_m365.py [--users 100000] [--seed 1]``
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PG_URL = os.environ.get(
    "SEATWISE_BENCH_POSTGRES_URL",
    os.environ.get(
        "SEATWISE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    ),
)
SECRET = "bench-secret-key-" + "x" * 32


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _bare_fetch(config: dict[str, Any], out: Any) -> None:
    from connectors.microsoft365 import Microsoft365Connector

    start = time.perf_counter()
    records = sum(1 for _ in Microsoft365Connector(config).fetch())
    out.put({"seconds": time.perf_counter() - start, "records": records, "rss": _peak_rss_mb()})


def _full_sync(config: dict[str, Any], url: str, runs: int, out: Any) -> None:
    from app.core.db import make_engine, session_scope
    from app.core.settings import Settings
    from app.sync import configs, service

    engine = make_engine(url)
    settings = Settings(database_url=url, secret_key=SECRET)
    with session_scope(engine) as session:
        configs.add_connector(
            session=session, settings=settings, kind="microsoft365", name="m365", config=config
        )
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        result = service.sync_connector(engine=engine, settings=settings, name="m365")
        timings.append(time.perf_counter() - start)
        if result.status != "succeeded":
            raise SystemExit(f"sync failed: {result.error}")
    out.put({"seconds": timings, "counts": result.counts, "rss": _peak_rss_mb()})


def _in_child(target: Any, *args: Any) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    result: dict[str, Any] = queue.get()
    proc.join()
    return result


def _start_sandbox(
    users: int, seed: int, tls_dir: Path
) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    proc = subprocess.Popen(
        [sys.executable, "-u", "-m", "connectors.sandbox", "--size", str(users), "--seed",
         str(seed), "--kind", "microsoft365", "--tls-dir", str(tls_dir)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.strip().startswith("connector config:"):
            return proc, json.loads(line.split(":", 1)[1])
    raise SystemExit("the sandbox did not start")


def _database(backend: str, tmp: Path) -> tuple[str, Any] | None:
    import sqlalchemy as sa

    from app.core import migrate
    from app.core.db import make_engine

    if backend == "sqlite":
        url = f"sqlite:///{tmp / 'bench.db'}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        return url, None
    schema = f"sw_bench_{secrets.token_hex(4)}"
    try:
        admin = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        print(f"PostgreSQL: skipped ({type(exc).__name__})")
        return None
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return url, drop


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="seatwise-bench-"))
    started = time.perf_counter()
    sandbox, config = _start_sandbox(args.users, args.seed, tmp / "tls")
    try:
        print(f"sandbox: {args.users:,} users ready in {time.perf_counter() - started:.1f} s")
        _in_child(_bare_fetch, config)  # warm the sandbox's page cache
        bare = _in_child(_bare_fetch, config)
        print(
            f"bare fetch: {bare['seconds']:.2f} s for {bare['records']:,} records "
            f"(peak RSS {bare['rss']:.0f} MB)"
        )
        for backend in args.backend or ["sqlite", "postgresql"]:
            db = _database(backend, tmp)
            if db is None:
                continue
            url, cleanup = db
            try:
                full = _in_child(_full_sync, config, url, 2)
            finally:
                if cleanup is not None:
                    cleanup()
            first, second = full["seconds"]
            print(
                f"{backend}: full sync {first:.2f} s (ratio {first / bare['seconds']:.2f}) into an "
                f"empty database, {second:.2f} s (ratio {second / bare['seconds']:.2f}) again; "
                f"peak RSS {full['rss']:.0f} MB; {full['counts']['accounts']:,} accounts, "
                f"{full['counts']['assignments']:,} assignments"
            )
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=30)


if __name__ == "__main__":
    main()
