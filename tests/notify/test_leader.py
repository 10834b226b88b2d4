"""Exactly one scheduler leader; a follower takes over when the leader is killed."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.core.db import make_engine
from app.core.leader import PostgresAdvisoryLock, leader_lock_for
from tests.conftest import Database
from tests.smtp_server import free_port


def _seatwise(
    db: Database, log: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        "SEATWISE_DATABASE_URL": db.url,
        "SEATWISE_SECRET_KEY": "k" * 40,
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    handle = log.open("wb")
    return subprocess.Popen(
        [sys.executable, "-c", "from app.cli import main; main()", *args],
        stdout=handle,
        stderr=subprocess.STDOUT,
        env=environment,
    )


def _worker(db: Database, log: Path) -> subprocess.Popen[bytes]:
    return _seatwise(db, log, "worker", "--poll-seconds", "0.5")


def _serve(db: Database, log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return _seatwise(db, log, "serve", "--port", str(free_port()), env=env)


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)


def _wait_for(predicate: object, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.2)
    return False


def test_one_leader_and_takeover_after_kill(committed_db: Database, tmp_path: Path) -> None:
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    procs = [_worker(committed_db, logs[0])]
    try:
        assert _wait_for(lambda: "scheduler leader: this process" in logs[0].read_text())
        procs.append(_worker(committed_db, logs[1]))
        assert _wait_for(lambda: "standing by" in logs[1].read_text())
        time.sleep(2)
        assert "scheduler leader" not in logs[1].read_text()
        procs[0].send_signal(signal.SIGKILL)
        procs[0].wait(timeout=10)
        started = time.monotonic()
        assert _wait_for(lambda: "scheduler leader: this process" in logs[1].read_text(), 60)
        assert time.monotonic() - started < 60
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=10)


def test_serve_runs_the_scheduler_and_hands_it_over_when_stopped(
    committed_db: Database, tmp_path: Path
) -> None:
    """Issue 8: the scheduler runs inside `seatwise serve` (default on); one leader among
    the serve and worker processes, the lock let go when serve stops."""
    logs = [tmp_path / "serve.log", tmp_path / "worker.log"]
    procs = [_serve(committed_db, logs[0])]
    try:
        assert _wait_for(lambda: "scheduler leader: this process" in logs[0].read_text())
        assert _wait_for(lambda: "Application startup complete" in logs[0].read_text())
        procs.append(_worker(committed_db, logs[1]))
        assert _wait_for(lambda: "standing by" in logs[1].read_text())
        procs[0].terminate()
        assert procs[0].wait(timeout=30) == 0
        assert _wait_for(lambda: "scheduler leader: this process" in logs[1].read_text())
    finally:
        _stop(procs)


def test_serve_without_the_scheduler_leaves_the_jobs_to_a_worker(
    committed_db: Database, tmp_path: Path
) -> None:
    logs = [tmp_path / "serve.log", tmp_path / "worker.log"]
    procs = [_serve(committed_db, logs[0], env={"SEATWISE_SCHEDULER_ENABLED": "false"})]
    try:
        assert _wait_for(lambda: "scheduler: off in this process" in logs[0].read_text())
        procs.append(_worker(committed_db, logs[1]))
        assert _wait_for(lambda: "scheduler leader: this process" in logs[1].read_text())
        assert "scheduler leader" not in logs[0].read_text()
    finally:
        _stop(procs)


def test_lock_is_exclusive_within_the_backend(committed_db: Database) -> None:
    first = leader_lock_for(committed_db.engine)
    second = leader_lock_for(committed_db.engine)
    assert first.try_acquire()
    try:
        assert not second.try_acquire()
    finally:
        first.release()
    assert second.try_acquire()
    second.release()


def test_installations_in_other_schemas_elect_their_own_leaders(committed_db: Database) -> None:
    if committed_db.backend != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's; SQLite locks a file beside the database")
    schema = f"sw_test_other_{secrets.token_hex(4)}"
    url = sa.make_url(committed_db.url)
    admin = sa.create_engine(url.set(query={}))
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    other = make_engine(url.set(query={"options": f"-csearch_path={schema}"}))
    here, there = leader_lock_for(committed_db.engine), leader_lock_for(other)
    try:
        assert here.try_acquire()
        assert there.try_acquire()  # another installation: its own leader
        assert not leader_lock_for(other).try_acquire()  # but one per installation
    finally:
        here.release()
        there.release()
        other.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_the_server_probes_the_leaders_connection_so_a_dead_machine_frees_the_lock(
    committed_db: Database,
) -> None:
    """A leader whose machine dies never closes its connection: only the server's TCP
    keepalives end it, after over two hours with the kernel's defaults; takeover within a
    minute needs them within half a minute."""
    if committed_db.backend != "postgresql":
        pytest.skip("SQLite's file lock is released by the kernel of the one machine")
    lock = leader_lock_for(committed_db.engine)
    assert isinstance(lock, PostgresAdvisoryLock)
    assert lock.try_acquire()
    try:
        assert lock._conn is not None
        shown = {
            name: int(lock._conn.execute(sa.text(f"SHOW {name}")).scalar_one())
            for name in ("tcp_keepalives_idle", "tcp_keepalives_interval", "tcp_keepalives_count")
        }
        probing = (
            shown["tcp_keepalives_idle"]
            + shown["tcp_keepalives_interval"] * shown["tcp_keepalives_count"]
        )
        assert 0 < probing <= 30, shown
    finally:
        lock.release()
