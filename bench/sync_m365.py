"""Sync a 100,000-user Microsoft 365 tenant from the sandbox; print time, ratio and peak RSS.

The sandbox runs in its own process (so its memory is not counted). Each measured step
runs in a fresh process: the bare fetch (the same HTTPS pages fetched and their JSON
parsed, through the connector's own client and pagination — no records built, nothing
stored), and a process that syncs: first into an empty database, then again (and again)
into the filled one. Each sync is timed right after a bare fetch of its own, and its
ratio is to that fetch: on a machine whose speed drifts (shared cores), both halves of
a ratio then see the same speed. On SQLite and, when reachable, PostgreSQL
(``SEATWISE_BENCH_POSTGRES_URL``, else the test suite's ``SEATWISE_TEST_POSTGRES_URL``).
Targets: full / bare ≤ 1.5, peak RSS ≤ 500 MB.

Then, ``--days`` times, a working day passes in the sandbox (``--signed-in`` of the
enabled users sign in; ``POST /_sandbox/sign-ins``) and it syncs again: what a daily
sync sees.

Usage: ``python bench/sync_m365.py [--users 100000] [--seed 1] [--repeat 1] [--resyncs 5]
[--days 3] [--signed-in 0.3] [--backend sqlite]``
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing
import os
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from queue import Empty
from typing import Any

# The repository first: this script's own folder holds bench/analytics.py, which would
# otherwise shadow the analytics package (here and in the measuring processes, which
# inherit this path).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PG_URL = os.environ.get(
    "SEATWISE_BENCH_POSTGRES_URL",
    os.environ.get(
        "SEATWISE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    ),
)
SECRET = "bench-secret-key-" + "x" * 32


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _load() -> str:
    """The machine's load average: figures taken on a busy machine say so."""
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f} on {os.cpu_count()} CPUs"


def _bare_fetch(config: dict[str, Any], out: Any) -> None:
    """Fetch and parse every page the sync fetches (SKUs, all user pages); build nothing."""
    import orjson

    from connectors.microsoft365 import Microsoft365Connector

    connector = Microsoft365Connector(config)
    start = time.perf_counter()
    with connector._client() as http:
        skus = len(connector._skus(http))
        first, rest, _sign_in = connector._first_user_page(http)
        pages = itertools.chain([first], rest)
        users = sum(len(orjson.loads(body)["value"]) for body, _url, _link in pages)
    out.put(
        {
            "seconds": time.perf_counter() - start,
            "records": skus + users,
            "pages": http.requests_sent,
            "rss": _peak_rss_mb(),
        }
    )


def _sync_worker(config: dict[str, Any], url: str, orders: Any, out: Any) -> None:
    """Sync once per order received (None ends it); the first sync loads an empty database."""
    from app.core.db import make_engine, session_scope
    from app.core.settings import Settings
    from app.sync import configs, service

    engine = make_engine(url)
    settings = Settings(database_url=url, secret_key=SECRET)
    with session_scope(engine) as session:
        configs.add_connector(
            session=session, settings=settings, kind="microsoft365", name="m365", config=config
        )
    while orders.get() is not None:
        start = time.perf_counter()
        result = service.sync_connector(engine=engine, settings=settings, name="m365")
        seconds = time.perf_counter() - start
        if result.status != "succeeded":
            out.put({"error": result.error})
            return
        out.put({"seconds": seconds, "counts": result.counts, "rss": _peak_rss_mb()})


def _in_child(target: Any, *args: Any) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    result = _result(queue, proc)
    proc.join()
    return result


def _result(queue: Any, proc: Any) -> dict[str, Any]:
    while True:
        try:
            result: dict[str, Any] = queue.get(timeout=1)
            break
        except Empty:
            if not proc.is_alive():
                raise SystemExit(f"the measuring process died ({proc.exitcode})") from None
    if "error" in result:
        raise SystemExit(f"sync failed: {result['error']}")
    return result


_DAYS = itertools.count(1)
"""Working days passed in the sandbox, over every database of the invocation."""


def _sign_in(config: dict[str, Any], share: float) -> int:
    """Let ``share`` of the sandbox's enabled users sign in, one day later than last time."""
    import ssl
    from datetime import UTC, datetime, timedelta

    import httpx

    at = (datetime(2030, 1, 1, 9, tzinfo=UTC) + timedelta(days=next(_DAYS))).isoformat()
    verify = ssl.create_default_context(cafile=config["ca_bundle"])
    with httpx.Client(base_url=config["graph_url"], verify=verify) as http:
        answer = http.post("/_sandbox/sign-ins", json={"share": share, "at": at})
        answer.raise_for_status()
        return int(answer.json()["signed_in"])


Pair = tuple[float, float, Any]


def _paired(
    config: dict[str, Any], url: str, resyncs: int, days: int, share: float
) -> tuple[list[Pair], list[Pair]]:
    """``(bare, sync, result)`` pairs, each sync right after a bare fetch of its own.

    First a first load and ``resyncs`` re-syncs of the unchanged tenant; then, for each
    of ``days`` working days, ``share`` of the enabled users sign in and it syncs again
    (the second list). Pairing each sync with a bare fetch taken just before it keeps
    the ratios honest on a machine whose speed drifts (shared cores): both halves of a
    pair see the same speed.
    """
    ctx = multiprocessing.get_context("spawn")
    orders, out = ctx.Queue(), ctx.Queue()
    worker = ctx.Process(target=_sync_worker, args=(config, url, orders, out))
    worker.start()
    pairs: list[Pair] = []
    busy: list[Pair] = []
    try:
        for n in range(1 + resyncs + days):
            if n > resyncs:
                signed_in = _sign_in(config, share)
            bare = _in_child(_bare_fetch, config)["seconds"]
            orders.put("sync")
            result = _result(out, worker)
            if n > resyncs:
                busy.append((bare, result["seconds"], {**result, "signed_in": signed_in}))
            else:
                pairs.append((bare, result["seconds"], result))
    finally:
        orders.put(None)
        worker.join(timeout=60)
    return pairs, busy


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


def _database(backend: str, tmp: Path, attempt: int) -> tuple[str, Any] | None:
    import sqlalchemy as sa

    from app.core import migrate
    from app.core.db import make_engine

    if backend == "sqlite":
        url = f"sqlite:///{tmp / f'bench-{attempt}.db'}"
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
    parser.add_argument("--repeat", type=int, default=1, help="databases per backend")
    parser.add_argument("--resyncs", type=int, default=5, help="re-syncs per database")
    parser.add_argument(
        "--days", type=int, default=3, help="re-syncs after a working day, per database"
    )
    parser.add_argument(
        "--signed-in", type=float, default=0.3, help="share of users signing in each day"
    )
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="seatwise-bench-"))
    started = time.perf_counter()
    sandbox, config = _start_sandbox(args.users, args.seed, tmp / "tls")
    try:
        print(f"sandbox: {args.users:,} users ready in {time.perf_counter() - started:.1f} s")
        _in_child(_bare_fetch, config)  # warm the sandbox's page cache
        bare = _in_child(_bare_fetch, config)
        print(
            f"bare fetch: {bare['seconds']:.2f} s for {bare['records']:,} SKUs and users "
            f"in {bare['pages']} requests (peak RSS {bare['rss']:.0f} MB; {_load()})"
        )
        for backend in args.backend or ["sqlite", "postgresql"]:
            for attempt in range(1, args.repeat + 1):
                db = _database(backend, tmp, attempt)
                if db is None:
                    break
                url, cleanup = db
                try:
                    pairs, busy = _paired(config, url, args.resyncs, args.days, args.signed_in)
                finally:
                    if cleanup is not None:
                        cleanup()
                (bare_s, first, result), *again = pairs
                counts = result["counts"]
                print(
                    f"{backend} #{attempt}: first load into an empty database: bare fetch "
                    f"{bare_s:.2f} s, full sync {first:.2f} s, ratio {first / bare_s:.2f}; "
                    f"{counts['accounts']:,} accounts, {counts['assignments']:,} assignments"
                )
                ratios = sorted(sync / b for b, sync, _ in again)
                for b, sync, _ in again:
                    print(
                        f"{backend} #{attempt}: sync again: bare fetch {b:.2f} s, "
                        f"full sync {sync:.2f} s, ratio {sync / b:.2f}"
                    )
                fastest = min(sync for _, sync, _ in again) / min(b for b, _, _ in again)
                print(
                    f"{backend} #{attempt}: sync again: median ratio "
                    f"{statistics.median(ratios):.2f} (best {ratios[0]:.2f}, worst "
                    f"{ratios[-1]:.2f}; fastest sync / fastest bare fetch {fastest:.2f}); "
                    f"peak RSS {again[-1][2]['rss']:.0f} MB; {_load()}"
                )
                for b, sync, result in busy:
                    print(
                        f"{backend} #{attempt}: sync after a working day "
                        f"({result['signed_in']:,} users signed in, "
                        f"{result['counts']['accounts_updated']:,} accounts updated): bare "
                        f"fetch {b:.2f} s, full sync {sync:.2f} s, ratio {sync / b:.2f}; "
                        f"peak RSS {result['rss']:.0f} MB"
                    )
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=30)


if __name__ == "__main__":
    main()
