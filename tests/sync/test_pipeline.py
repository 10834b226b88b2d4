"""The fetch runs beside the database work: records arrive intact, errors arrive typed."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.sync import pipeline
from app.sync.pipeline import fetched_in_background, fetched_in_process
from connectors.base import (
    AccountRecord,
    AssignmentRecord,
    Connector,
    ConnectorAuthError,
    ConnectorConfig,
    ConnectorError,
    ConnectorPermissionError,
    ProductRecord,
    Record,
)
from connectors.rows import Chunk, chunked, records

WAYS = [fetched_in_process, fetched_in_background]
ROOT = Path(__file__).resolve().parents[2]
T = datetime(2026, 11, 25, 9, 0, 0, 123456, tzinfo=UTC)


def _records(n: int) -> Iterator[Record]:
    yield ProductRecord(external_id="sku", name="E3", seats_purchased=10)
    for i in range(n):
        yield AccountRecord(f"id-{i}", f"u{i}@acme.test", f"User {i}", "active", last_active_at=T)
        yield AssignmentRecord(f"id-{i}", "sku")


def _drain(way: Callable[..., Any], fetch: Callable[[], Iterator[Record]]) -> list[Record]:
    """Every record ``fetch`` yields, run the given way (as a connector's default batches)."""
    out: list[Record] = []
    with way(lambda: chunked(fetch())) as chunks:
        for chunk in chunks:
            out.extend(records(chunk))
    return out


@pytest.mark.parametrize("way", WAYS)
def test_every_record_arrives_equal_and_typed(way: Callable[..., Any]) -> None:
    got = _drain(way, lambda: _records(2500))
    sent = list(_records(2500))
    # Within a chunk: other records first, then accounts, then seats, each in stream order.
    for kind in (ProductRecord, AccountRecord, AssignmentRecord):
        assert [r for r in got if type(r) is kind] == [r for r in sent if type(r) is kind]
    assert len(got) == len(sent)
    assert [type(r) for r in got[:3]] == [ProductRecord, AccountRecord, AccountRecord]
    account = got[1]
    assert isinstance(account, AccountRecord) and account.last_active_at == T
    assert account.last_active_at.tzinfo is not None


@pytest.mark.parametrize("way", WAYS)
def test_a_connector_error_mid_fetch_arrives_as_itself(way: Callable[..., Any]) -> None:
    def fetch() -> Iterator[Record]:
        yield from _records(1500)
        raise ConnectorPermissionError("Graph refused: missing permission", missing="X.Read")

    with pytest.raises(ConnectorPermissionError, match="missing permission") as caught:
        _drain(way, fetch)
    assert caught.value.missing == "X.Read"


def test_an_unpicklable_error_still_arrives_with_its_message() -> None:
    class Odd(Exception):
        def __init__(self) -> None:
            super().__init__("odd failure")
            self.lock = threading.Lock()

    def fetch() -> Iterator[Record]:
        yield from _records(10)
        raise Odd

    with pytest.raises(ConnectorError, match="Odd: odd failure"):
        _drain(fetched_in_process, fetch)


def test_a_fetch_process_that_dies_is_a_clear_error() -> None:
    def fetch() -> Iterator[Record]:
        yield from _records(1500)
        os.kill(os.getpid(), signal.SIGKILL)
        yield from _records(10)

    with pytest.raises(ConnectorError, match="fetch process ended unexpectedly"):
        _drain(fetched_in_process, fetch)


@pytest.mark.parametrize("way", WAYS)
def test_a_consumer_that_stops_early_stops_the_fetch(way: Callable[..., Any]) -> None:
    def endless() -> Iterator[Record]:
        while True:
            yield from _records(1000)

    with way(lambda: chunked(endless())) as chunks:
        next(chunks)
    # Leaving the block returned: the fetch was stopped (else this test would hang).


@pytest.mark.parametrize("way", WAYS)
def test_an_auth_error_before_any_record(way: Callable[..., Any]) -> None:
    def fetch() -> Iterator[Record]:
        raise ConnectorAuthError("AADSTS7000215: Invalid client secret provided.")
        yield  # pragma: no cover

    with pytest.raises(ConnectorAuthError, match="AADSTS7000215"):
        _drain(way, fetch)


def test_a_full_spool_disk_arrives_as_the_system_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def full(fd: int, data: bytes, offset: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pipeline, "_write_all", full)
    with pytest.raises(OSError, match="No space left on device"):
        _drain(fetched_in_process, lambda: _records(10))


class _Listed(Connector):
    """A connector with the default ``batches()``: ``fetch()`` cut into batches."""

    kind = "listed"
    title = "Listed"
    config_model = ConnectorConfig

    def fetch(self) -> Iterator[Record]:
        yield from _records(2100)


@pytest.mark.parametrize("way", WAYS)
def test_a_connectors_default_batches_arrive_whole(way: Callable[..., Any]) -> None:
    connector = _Listed(ConnectorConfig())
    out: list[Record] = []
    with way(connector.batches) as chunks:
        for chunk in chunks:
            assert chunk.count <= 2000
            out.extend(records(chunk))
    assert sorted(map(repr, out)) == sorted(map(repr, _records(2100)))


class _Paged(Connector):
    """A connector whose pages are raw text, mapped to chunks by :meth:`chunk`."""

    kind = "paged"
    title = "Paged"
    config_model = ConnectorConfig

    def __init__(self, pages: int) -> None:
        super().__init__(ConnectorConfig())
        self.count = pages

    def pages(self) -> Iterator[Any]:
        yield from chunked([ProductRecord(external_id="sku", name="E3")])
        for page in range(self.count):
            yield f"{page}:{os.getpid()}"

    def chunk(self, page: str) -> Chunk:
        number, fetched_by = page.split(":")
        return Chunk(
            [(f"id-{number}", f"{fetched_by}>{os.getpid()}", None, "active", False, False,
              None, None, None, True)],
            [(f"id-{number}", "sku", None)],
            [],
        )  # fmt: skip


def _mapped_by(chunks: Iterator[Chunk], parent: int) -> tuple[list[str], set[str]]:
    """The accounts in order, and which process mapped each page ("fetch" or "run")."""
    ids, where = [], set()
    for chunk in chunks:
        for account in chunk.accounts:
            ids.append(account[0])
            fetched_by, mapped_by = account[1].split(">")
            assert int(fetched_by) != parent  # fetched in the child
            where.add("run" if int(mapped_by) == parent else "fetch")
    return ids, where


@pytest.mark.parametrize(("behind", "mapped_in"), [(0, {"fetch"}), (10**6, {"run"})])
def test_pages_are_mapped_in_order_by_the_fetch_or_the_run(
    monkeypatch: pytest.MonkeyPatch, behind: int, mapped_in: set[str]
) -> None:
    # BEHIND 0: the run always counts as busy, so the fetch maps every page itself;
    # BEHIND huge: never, so every page crosses unmapped and the run maps it.
    monkeypatch.setattr(pipeline, "BEHIND", behind)
    connector = _Paged(300)
    with fetched_in_process(connector.pages, to_chunk=connector.chunk) as chunks:
        ids, where = _mapped_by(chunks, os.getpid())
    assert ids == [f"id-{n}" for n in range(300)]
    assert where == mapped_in


def test_a_slow_run_gets_pages_mapped_by_the_fetch() -> None:
    connector = _Paged(200)
    seen: set[str] = set()
    with fetched_in_process(connector.pages, to_chunk=connector.chunk) as chunks:
        for n, chunk in enumerate(chunks):
            if n == 1:
                time.sleep(0.5)  # the run is busy: pages pile up, the fetch maps them
            seen |= _mapped_by(iter([chunk]), os.getpid())[1]
    assert seen == {"fetch", "run"}


def test_a_page_the_run_cannot_map_fails_the_run_with_its_error() -> None:
    class Broken(_Paged):
        def chunk(self, page: str) -> Chunk:
            raise ConnectorError(f"page {page.split(':')[0]} is not JSON")

    connector = Broken(3)
    with (
        pytest.raises(ConnectorError, match="page 0 is not JSON"),
        fetched_in_process(connector.pages, to_chunk=connector.chunk) as chunks,
    ):
        list(chunks)


def test_without_fork_the_thread_maps_pages() -> None:
    connector = _Paged(5)
    with fetched_in_background(connector.pages, to_chunk=connector.chunk) as chunks:
        assert [a[0] for c in chunks for a in c.accounts] == [f"id-{n}" for n in range(5)]


def test_a_connector_that_yields_pages_without_mapping_them_is_named() -> None:
    class Unmapped(_Paged):
        chunk = Connector.chunk  # type: ignore[assignment]

    connector = Unmapped(1)
    with (
        pytest.raises(TypeError, match=r"Unmapped.pages\(\) yielded str, not a Chunk"),
        fetched_in_background(connector.pages, to_chunk=connector.chunk) as chunks,
    ):
        list(chunks)


FOREVER_FETCH = """
import signal, sys, time
from app.sync.pipeline import fetched_in_process
from connectors.base import AccountRecord
from connectors.rows import chunked

# As in `seatwise worker` and `serve`: a graceful-stop handler the fork inherits.
signal.signal(signal.SIGTERM, lambda *_: None)

def endless():
    yield AccountRecord("id-0", None, None, "active")
    for i in range(1, 10**9):
        time.sleep(60)  # a vendor slow to answer: no write would break the pipe soon
        yield AccountRecord(f"id-{i}", None, None, "active")

with fetched_in_process(lambda: chunked(endless(), 1)) as chunks:
    next(chunks)
    print("fetching", flush=True)
    time.sleep(120)
"""


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting to be reaped counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not pipeline.fork_available(), reason="the fetch forks on Linux only")
def test_a_run_killed_outright_takes_its_fetch_with_it() -> None:
    run = subprocess.Popen(
        [sys.executable, "-c", FOREVER_FETCH], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        assert run.stdout is not None and run.stdout.readline().strip() == "fetching"
        with open(f"/proc/{run.pid}/task/{run.pid}/children") as children:
            [fetch] = [int(pid) for pid in children.read().split()]
        assert _alive(fetch)
        run.kill()
        run.wait(10)
        deadline = time.monotonic() + 5
        while _alive(fetch) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(fetch), "the fetch outlived its run"
    finally:
        run.kill()
        run.wait(10)
