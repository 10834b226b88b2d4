"""Time every page, REST listing and export on a 100,000-person inventory; count statements.

Run: ``python bench/pages.py [--backend sqlite|postgresql|both] [--people N] [--requests N]
[--keep DIR]``. For each backend it builds the inventory of ``bench/web_inventory.py``
with bulk inserts (a scratch SQLite file, or a temporary schema of the PostgreSQL
database ``SEATWISE_BENCH_PG_URL`` names, by default the test suite's, dropped
afterwards), then, unless ``--no-analyze``, runs the analytics as ``seatwise analyze``
does, so the findings are the rules' own. With ``--keep DIR`` the SQLite file is kept in
DIR and reused by the next run (PostgreSQL: the schema ``sw_bench_pages`` is kept).
``--database URL`` measures a database filled otherwise, e.g. by ``seatwise sync`` of
the vendor sandboxes (``seatwise sandbox serve --size 100000``) and ``seatwise analyze``.

The app from ``app.main.create_app`` serves each page and endpoint in this process (an
admin's session cookie for pages, an admin's bearer token for the API). Per path it
prints the first (cold) request, the median of ``--requests`` warm ones, the response
size and the SQL statements the warm request sent; then it acknowledges (and reopens)
1,000 findings in one bulk review. Exits 1 when a warm median exceeds
``--target`` ms (default 1,000) or a page sends more than ``--max-statements``.
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
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.auth import service as auth_service
from app.auth.models import User
from app.core import migrate
from app.core.db import make_engine
from app.core.settings import Settings
from app.main import create_app
from app.models import metadata
from bench.web_inventory import Shape, build_inventory
from tests.login_cookie import COOKIE, login_cookie

PG_BASE_URL = os.environ.get(
    "SEATWISE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
KEPT_SCHEMA = "sw_bench_pages"
SECRET = "bench-secret-" + "k" * 32
ADMIN = "bench-pages@example.com"


@contextmanager
def database(backend: str, keep: Path | None, url: str | None) -> Iterator[tuple[str, bool]]:
    """A URL of a database of ``backend`` and whether it is already filled."""
    if url is not None:
        yield url, True
        return
    if backend == "sqlite":
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            path = keep / "pages-bench.db"
            yield f"sqlite:///{path}", path.exists()
            return
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'pages-bench.db'}", False
        return
    admin = sa.create_engine(PG_BASE_URL)
    schema = KEPT_SCHEMA if keep else f"sw_bench_pages_{int(time.time())}_{secrets.token_hex(3)}"
    with admin.begin() as conn:
        filled = bool(
            conn.execute(
                sa.text("SELECT 1 FROM information_schema.tables WHERE table_schema = :s"),
                {"s": schema},
            ).first()
        )
        conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    try:
        yield f"{PG_BASE_URL}?options=-csearch_path%3D{schema}", filled
    finally:
        if not keep:
            with admin.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def fill(engine: sa.Engine, settings: Settings, shape: Shape, analyze: bool, backend: str) -> None:
    """Build the inventory and the rules' findings."""
    started = time.perf_counter()
    built = build_inventory(engine, shape, date.today())
    summary = ", ".join(f"{k} {v:,}" for k, v in built.counts.items() if v > 1000)
    print(f"[{backend}] built in {time.perf_counter() - started:.1f} s: {summary}", flush=True)
    # The forecast converts at each month's end: a rate for every one of the last years.
    month_ends = {date.today().replace(day=1) - timedelta(days=30 * n) for n in range(37)}
    with engine.begin() as conn:
        conn.execute(
            sa.insert(metadata.tables["fx_rate"]),
            [
                {
                    "base": "USD",
                    "quote": "EUR",
                    "day": d.replace(day=1) - timedelta(days=1),
                    "rate": Decimal("0.92"),
                }
                for d in month_ends
            ],
        )
    if analyze:
        from app.findings import service as findings_service

        started = time.perf_counter()
        with Session(engine) as session:
            done = findings_service.analyze(session=session, settings=settings, today=date.today())
            session.commit()
        counts = done.as_json()["counts"]
        print(f"[{backend}] analysed in {time.perf_counter() - started:.1f} s: {counts}")


def credentials(engine: sa.Engine) -> tuple[int, str]:
    """An admin user's id and a fresh bearer token of theirs."""
    with Session(engine) as session:
        user = session.scalar(sa.select(User).where(User.email == ADMIN))  # type: ignore[arg-type]
        if user is None:
            user = User(email=ADMIN, role="admin", password_hash="!token-only")
            session.add(user)
            session.flush()
        token = auth_service.create_token(session=session, email=ADMIN, name="bench")
        session.commit()
        return int(user.id or 0), token


def some_ids(engine: sa.Engine) -> dict[str, Any]:
    """Ids the detail pages need: the biggest application, a person, a contract…"""
    with engine.connect() as conn:

        def one(sql: str) -> Any:
            return conn.execute(sa.text(sql)).scalar()

        return {
            "app": one(
                "SELECT application_id FROM product p JOIN assignment s ON s.product_id = p.id"
                " GROUP BY application_id ORDER BY count(*) DESC LIMIT 1"
            ),
            "person": one("SELECT min(id) FROM person"),
            "contract": one("SELECT min(id) FROM subscription"),
            "connector": one("SELECT name FROM connector_config ORDER BY id LIMIT 1"),
            "sku": one("SELECT external_id FROM product ORDER BY id LIMIT 1"),
        }


def paths(ids: dict[str, Any]) -> list[tuple[str, str]]:
    """(kind, path) of every page, listing and export measured."""
    app, year = ids["app"], date.today().year
    pages = [
        "/",
        "/applications",
        "/applications?sort=spend",
        "/applications?q=App%201",
        f"/applications/{app}",
        f"/applications/{app}?show=unused",
        f"/applications/{app}?offset=50000",
        "/people",
        "/people?status=left",
        "/people?q=user1&sort=email",
        "/people?offset=90000",
        f"/people/{ids['person']}",
        "/findings",
        "/findings?status=open&kind=unused_seat",
        f"/findings?application={app}&severity=high",
        "/findings?offset=20000",
        "/renewals",
        "/spend",
        f"/spend?by=department&from={year}-01&to={year}-12",
        "/contracts",
        f"/contracts/{ids['contract']}",
        "/connectors",
        f"/connectors/{ids['connector']}",
        f"/connectors/{ids['connector']}/runs",
        "/settings",
    ]
    api = [
        "/api/v1/applications",
        "/api/v1/applications?limit=1000&offset=200",
        "/api/v1/products",
        "/api/v1/accounts",
        "/api/v1/accounts?limit=1000&offset=150000",
        "/api/v1/accounts?connector=m365&status=active",
        f"/api/v1/accounts?product={ids['sku']}",
        "/api/v1/people",
        "/api/v1/people?status=active&limit=1000&offset=90000",
        "/api/v1/findings",
        "/api/v1/findings?limit=1000&offset=20000",
        f"/api/v1/findings?application={app}&status=open",
        "/api/v1/renewals",
        "/api/v1/subscriptions",
        "/api/v1/connectors",
        "/api/v1/sync-runs",
        "/api/v1/outbox",
        "/api/v1/budgets",
        "/api/v1/fx-rates",
        "/api/v1/reports/savings",
        "/api/v1/reports/forecast",
        "/api/v1/users",
        "/api/v1/admin/tokens",
        "/api/v1/admin/audit",
        "/api/v1/admin/policies",
        "/api/v1/admin/catalog",
        "/api/v1/admin/notification-settings",
    ]
    exports = [
        "/findings.csv",
        "/findings.csv?status=open",
        "/api/v1/findings/export",
        f"/api/v1/reports/spend?by=department&from={year}-01&to={year}-12&format=csv",
        f"/api/v1/reports/spend?by=app&by=department&from={year}-01&to={year}-12&format=xlsx",
        f"/api/v1/reports/spend?by=app&from={year}-01&to={year}-12",
        "/api/v1/reports/forecast?format=csv",
    ]
    return (
        [("page", p) for p in pages] + [("api", p) for p in api] + [("export", p) for p in exports]
    )


class Counter:
    """Counts the statements an engine sends."""

    def __init__(self, engine: sa.Engine) -> None:
        self.count = 0
        sa.event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: Any) -> None:
        self.count += 1


def measure(
    client: TestClient, counter: Counter, path: str, headers: dict[str, str], requests: int
) -> dict[str, Any]:
    """The cold time, warm median (ms), size and statements of GET ``path``."""
    started = time.perf_counter()
    response = client.get(path, headers=headers, follow_redirects=False)
    cold = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"GET {path} answered {response.status_code}: {response.text[:300]}")
    warm = []
    for _ in range(requests):
        before = counter.count
        started = time.perf_counter()
        response = client.get(path, headers=headers, follow_redirects=False)
        warm.append((time.perf_counter() - started) * 1000)
        statements = counter.count - before
    return {
        "cold": cold,
        "warm": statistics.median(warm),
        "kb": len(response.content) / 1024,
        "statements": statements,
    }


def bulk_review(client: TestClient, counter: Counter, bearer: dict[str, str]) -> dict[str, Any]:
    """Acknowledge 1,000 open findings in one request (then reopen them): the bulk review."""
    listed = client.get("/api/v1/findings?status=open&limit=1000", headers=bearer).json()
    keys = [i["key"] for i in listed["items"]]
    timings = {}
    for status in ("acknowledged", "open"):
        before, started = counter.count, time.perf_counter()
        response = client.post(
            "/api/v1/findings/bulk", json={"keys": keys, "status": status}, headers=bearer
        )
        timings[status] = ((time.perf_counter() - started) * 1000, counter.count - before)
        assert response.status_code == 200 and len(response.json()["changed"]) == len(keys)
    ms, statements = timings["acknowledged"]
    path = "POST /api/v1/findings/bulk (1,000 keys)"
    return {"kind": "write", "path": path, "cold": ms, "warm": ms, "kb": 0.0,
            "statements": statements}  # fmt: skip


def run_backend(backend: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Build (or reuse) the inventory on ``backend``; time every path."""
    shape = Shape(people=args.people, findings=args.findings)
    with database(backend, args.keep, args.database) as (url, filled):
        engine = make_engine(url)
        try:
            settings = Settings(
                database_url=url, secret_key=SECRET, environment="test", reporting_currency="EUR"
            )
            migrate.upgrade(engine)  # a kept database too: its indexes are the current ones
            if not filled:
                fill(engine, settings, shape, args.analyze, backend)
            user_id, token = credentials(engine)
            ids = some_ids(engine)
            gc.collect()
            gc.freeze()
            counter = Counter(engine)
            client = TestClient(create_app(settings, engine), base_url="http://testserver")
            client.cookies.set(COOKIE, login_cookie(engine, user_id, SECRET, 3600))
            bearer = {"Authorization": f"Bearer {token}"}
            rows = []
            for kind, path in paths(ids):
                if args.only and not any(o in path for o in args.only):
                    continue
                headers = bearer if path.startswith("/api/") else {}
                row = {"backend": backend, "kind": kind, "path": path}
                row.update(measure(client, counter, path, headers, args.requests))
                rows.append(row)
                print(
                    f"[{backend}] {kind:<6} {path:<72} {row['cold']:>7.0f} {row['warm']:>7.0f} ms"
                    f" {row['statements']:>4} stmts {row['kb']:>8.0f} KB",
                    flush=True,
                )
            if not args.only or any("bulk" in o for o in args.only):
                rows.append({"backend": backend, **bulk_review(client, counter, bearer)})
                print(f"[{backend}] bulk review of 1,000 findings: {rows[-1]['warm']:.0f} ms,"
                      f" {rows[-1]['statements']} statements", flush=True)  # fmt: skip
            client.close()
        finally:
            engine.dispose()
    return rows


def main() -> int:
    """Run the benchmark on the chosen backends and print the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--findings", type=int, default=60_000)
    parser.add_argument("--requests", type=int, default=3, help="warm requests per path")
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the database here")
    parser.add_argument("--database", help="measure this filled database (one backend)")
    parser.add_argument("--no-analyze", dest="analyze", action="store_false")
    parser.add_argument("--only", nargs="*", help="measure only paths containing these")
    parser.add_argument("--target", type=float, default=1000.0, help="warm median, ms")
    parser.add_argument("--max-statements", type=int, default=40)
    args = parser.parse_args()
    if args.people < 10 or args.requests < 1:
        parser.error("--people must be at least 10 and --requests at least 1")
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    if args.database:
        backends = (sa.make_url(args.database).get_backend_name(),)
    rows: list[dict[str, Any]] = []
    for backend in backends:
        rows.extend(run_backend(backend, args))
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"\n{args.people:,} people, median of {args.requests} warm requests; load {load}")
    print("| backend | kind | path | first ms | warm ms | statements | KB |")
    print("|---|---|---|--:|--:|--:|--:|")
    slow = []
    for r in rows:
        print(
            f"| {r['backend']} | {r['kind']} | `{r['path']}` | {r['cold']:.0f} | {r['warm']:.0f}"
            f" | {r['statements']} | {r['kb']:.0f} |"
        )
        if r["warm"] > args.target or r["statements"] > args.max_statements:
            slow.append(f"{r['backend']} {r['path']}")
    verdict = "OK" if not slow else "OVER: " + ", ".join(slow)
    print(f"targets warm <= {args.target:.0f} ms, <= {args.max_statements} statements: {verdict}")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
