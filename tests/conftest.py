"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

Each test session gets its own SQLite file and its own PostgreSQL schema (so parallel
runs never collide); each test is isolated by a rolled-back transaction, or, for tests
whose code commits through its own connections (CLI, web app), by truncating tables.
"""

from __future__ import annotations

import os
import secrets
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

import app.models as models
from app.core import migrate
from app.core.db import make_engine

PG_BASE_URL = os.environ.get(
    "SEATWISE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ["sqlite", "postgresql"]
_backends_run: set[str] = set()
_backends_skipped: dict[str, str] = {}


def _pg_reachable() -> str | None:
    try:
        engine = sa.create_engine(PG_BASE_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        return f"{exc.__class__.__name__}: {str(exc).splitlines()[0]}"
    return None


def _drop_stale_schemas(conn: sa.Connection) -> None:
    """Drop test schemas left by killed runs (older than an hour)."""
    cutoff = int(time.time()) - 3600
    names = conn.execute(
        sa.text("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'sw_test_%'")
    ).scalars()
    for name in list(names):
        stamp = name.split("_")[2]
        if stamp.isdigit() and int(stamp) < cutoff:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))


@dataclass
class Database:
    """A migrated test database: its backend name, URL and engine."""

    backend: str
    url: str
    engine: Engine

    def truncate(self) -> None:
        """Empty every table (for tests whose code commits)."""
        tables = [t.name for t in reversed(models.metadata.sorted_tables)]
        with self.engine.begin() as conn:
            if self.backend == "postgresql":
                conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            else:
                for name in tables:
                    conn.execute(sa.text(f"DELETE FROM {name}"))


@pytest.fixture(scope="session", params=BACKENDS)
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """A migrated database per backend for the whole test session."""
    backend: str = request.param
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("db") / "seatwise.db"
        url = f"sqlite:///{path}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        _backends_run.add(backend)
        yield Database(backend, url, engine)
        engine.dispose()
        return
    problem = _pg_reachable()
    if problem is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL unreachable under CI=true: {problem}")
        _backends_skipped[backend] = problem
        warnings.warn(f"PostgreSQL tests skipped: {problem}", stacklevel=1)
        pytest.skip(f"PostgreSQL unreachable: {problem}")
    schema = f"sw_test_{int(time.time())}_{secrets.token_hex(4)}"
    admin = sa.create_engine(PG_BASE_URL)
    with admin.begin() as conn:
        _drop_stale_schemas(conn)
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_BASE_URL}?options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        _backends_run.add(backend)
        yield Database(backend, url, engine)
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(database: Database) -> Engine:
    """The test database's engine."""
    return database.engine


@pytest.fixture
def session(database: Database) -> Iterator[Session]:
    """A session inside a transaction rolled back after the test (services only flush)."""
    connection = database.engine.connect()
    transaction = connection.begin()
    with Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    ) as s:
        yield s
    transaction.rollback()
    connection.close()


@pytest.fixture
def committed_db(database: Database) -> Iterator[Database]:
    """The database for code that commits on its own; emptied after the test."""
    database.truncate()
    yield database
    database.truncate()


@dataclass
class CliResult:
    """What a CLI run printed and returned."""

    exit_code: int
    stdout: str
    stderr: str


CLI_SECRET_KEY = "test-secret-key-" + "x" * 32
"""The secret key the ``cli`` fixture's runs use (a process of a test's own must too)."""


@pytest.fixture
def cli(
    committed_db: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Any:
    """Run ``seatwise`` in-process against the test database; returns a runner."""
    from app.core import cli_runtime

    monkeypatch.setenv("SEATWISE_DATABASE_URL", committed_db.url)
    monkeypatch.setenv("SEATWISE_SECRET_KEY", CLI_SECRET_KEY)
    monkeypatch.chdir(Path(__file__).parent)

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> CliResult:
        from app.cli import main

        for key, value in (env or {}).items():
            monkeypatch.setenv(key, value)
        cli_runtime.state._settings = None
        cli_runtime.state._engine = None
        cli_runtime.state.debug = False
        if input is not None:
            import io

            monkeypatch.setattr(sys, "stdin", io.StringIO(input))
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        finally:
            if cli_runtime.state._engine is not None:
                cli_runtime.state._engine.dispose()
        out, err = capsys.readouterr()
        return CliResult(code, out, err)

    return run


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Note which backends tests passed or were skipped on (runs in the xdist controller too)."""
    params = report.nodeid.rpartition("[")[2].rstrip("]").split("-") if "[" in report.nodeid else []
    for backend in BACKENDS:
        if backend not in params:
            continue
        if report.when == "call" and report.passed:
            _backends_run.add(backend)
        elif report.skipped and "unreachable" in str(report.longrepr):
            _backends_skipped.setdefault(backend, str(report.longrepr).splitlines()[-1][:200])


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say which database backends the suite ran on."""
    if _backends_run or _backends_skipped:
        ran = ", ".join(sorted(_backends_run)) or "none"
        terminalreporter.write_line(f"seatwise: database tests ran on: {ran}")
        for backend, why in _backends_skipped.items():
            terminalreporter.write_line(
                f"seatwise: WARNING: {backend} tests SKIPPED ({why})", yellow=True
            )
