"""Run a connector's fetch beside the database work, so the two overlap.

A sync spends its time fetching and parsing the vendor's pages and turning them into
rows; meanwhile the previous rows can be compared and written. It reads the connector's
``pages()``: chunks of rows, or pages its ``chunk()`` maps to rows. Two ways:

- :func:`fetched_in_process` (used on Linux): the fetch runs in a forked child process
  and hands chunks and unmapped pages over through a spool file (see there); pages are
  mapped in whichever process is free. Parsing JSON and building rows is CPU work under
  the interpreter lock; in a thread it competed with the database side for that one
  lock and the sync took three times as long as the bare fetch. In its own process it
  has its own lock and core. Connectors never touch the database (ARCHITECTURE.md),
  which is what makes this safe: the child only fetches, and leaves with ``os._exit``
  so it never closes the database connections it inherited.
- :func:`fetched_in_background`: a thread and a bounded queue, where fork is unavailable.

Either way an error in the fetch is re-raised in the consumer as the connector's own
typed exception; when the consumer stops early, the fetch is stopped.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing
import os
import pickle
import queue
import signal
import struct
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from app.sync.wire import decode, encode
from connectors.base import Connector, ConnectorError
from connectors.rows import Chunk

DEPTH = 64
_DONE = object()
_DONE_MARK = "seatwise:fetch-done"  # the process pipe's end marker (pickles, unlike _DONE)


class _Failed:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


Pages = Callable[[], Iterable[Any]]
"""A connector's ``pages``: chunks (:mod:`connectors.rows`) and pages still to map."""
ToChunk = Callable[[Any], Chunk]
"""A connector's ``chunk``: maps one of those pages to a chunk."""


def _unmapped(page: Any) -> Chunk:
    raise TypeError(f"the fetch yielded {type(page).__name__}, not a Chunk")


@contextlib.contextmanager
def fetched_in_background(
    pages: Pages, *, to_chunk: ToChunk = _unmapped, depth: int = DEPTH
) -> Iterator[Iterator[Chunk]]:
    """Yield an iterator of the chunks of what ``pages()`` produces in another thread."""
    handoff: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            stream = iter(pages())
            try:
                for page in stream:
                    if not put(page if isinstance(page, Chunk) else to_chunk(page)):
                        return
            finally:
                close = getattr(stream, "close", None)
                if close is not None:  # a generator: end it here, in its own thread
                    close()
            put(_DONE)
        except BaseException as exc:  # handed to the consumer, which decides
            put(_Failed(exc))

    def consume() -> Iterator[Chunk]:
        while True:
            item = handoff.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.exc
            yield item  # type: ignore[misc]

    worker = threading.Thread(target=produce, name="seatwise-sync-fetch", daemon=True)
    worker.start()
    try:
        yield consume()
    finally:
        stop.set()
        worker.join(timeout=60)


def fork_available() -> bool:
    """Whether the fetch can run in a forked process (Linux; elsewhere fork is unsafe)."""
    return sys.platform.startswith("linux")


def _portable(exc: BaseException) -> BaseException:
    """The exception itself if it survives pickling, else a ConnectorError saying what it was."""
    try:
        pickle.loads(pickle.dumps(exc))  # noqa: S301 - our own bytes, just made
    except Exception:
        return ConnectorError(f"{type(exc).__name__}: {exc}")
    return exc


_SPOOLED = b"S"
_NOTICE = struct.Struct("<QQ")  # where a chunk lies in the spool file: offset, length
BEHIND = 2
"""Chunks handed to the run and not finished with (the one it works on, and any waiting)
from which the fetch process maps pages itself: a page handed on unmapped would only
wait behind them. 1 and 2 measured alike on re-syncs of 100,000 users (median 1.17 s
and 1.12 s on a noisy machine)."""


def _write_all(fd: int, data: bytes, offset: int) -> None:
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, offset)
        view, offset = view[written:], offset + written


PR_SET_PDEATHSIG = 1
"""``prctl`` option: the signal the kernel sends a process when its parent thread ends."""


def _end_with_parent(parent: int) -> None:
    """Have the kernel terminate this forked fetch when the run's process dies (Linux).

    Otherwise a run killed outright (``kill -9``, the OOM killer) leaves its fetch
    fetching pages nobody will apply. The forking thread is the one consuming the
    chunks, so it outlives the child in every orderly run.
    """
    # The run's SIGTERM handler (the worker's or the web server's graceful stop) came
    # along with the fork; here it would swallow the death signal.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # no prctl here: the broken pipe still ends it
        return
    if os.getppid() != parent:  # the run died before the signal was armed
        os._exit(1)


@contextlib.contextmanager
def fetched_in_process(
    pages: Pages, *, to_chunk: ToChunk = _unmapped, plain: bool = False
) -> Iterator[Iterator[Chunk]]:
    """Yield an iterator of the chunks of what ``pages()`` produces in a forked process.

    Pages that are not chunks yet are mapped by ``to_chunk`` in whichever process is
    free: the child maps a page itself while the run is still busy with ``BEHIND`` or
    more chunks it was handed (a shared counter says how many it has finished), and
    hands it on unmapped when the run is waiting for work. On a first load, whose
    writes keep the run busy, the child maps nearly every page; on a re-sync of an
    unchanged tenant, where comparing a page takes the run less time than fetching one
    takes the child, they alternate, and both finish close together. Each chunk arrives
    in the order fetched.

    The child writes each encoded chunk to an unlinked spool file and sends only a
    16-byte notice of where it lies through the pipe. A pipe carrying the chunks
    themselves (64 KB of buffer) stalled the child whenever the consumer was busy
    reading the key index or writing a batch, and a thread draining it into memory
    starved for the interpreter lock: either way a fifth of the child's time went to
    waiting. Writing a file never waits for the consumer; the notices back up (and the
    child waits) only when the consumer is thousands of chunks behind. The spool lives
    in the temporary directory, not in memory, and is gone when the run ends: about 75
    bytes per account or seat of mapped rows, and a page's own size for a page handed
    on unmapped (at most 73 MB for 100,000 Microsoft 365 users, whose pages take
    ~0.75 KB a user). A full disk fails the run with the system's own message, applying
    nothing.
    """
    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    finished = ctx.RawValue("Q", 0)  # chunks the run has finished with; shared memory
    spool = tempfile.TemporaryFile(prefix="seatwise-sync-")  # noqa: SIM115 - closed below
    fd = spool.fileno()

    parent = os.getpid()

    def produce() -> None:
        # Only the run reads the pipe. With the child's copy of the reading end closed,
        # a run that died (killed, say) breaks the pipe and the next notice ends the
        # child; the kernel's parent-death signal ends it sooner.
        receiver.close()
        _end_with_parent(parent)
        # The child inherits the parent's whole heap. A cyclic collection would walk all
        # of it (and copy every page it touches): a third of the child's CPU time when
        # measured. The child is short-lived and its records hold no cycles.
        gc.disable()
        try:
            offset = 0
            for sent, page in enumerate(pages()):
                if not isinstance(page, Chunk) and sent - finished.value >= BEHIND:
                    page = to_chunk(page)
                data = encode(page, plain=plain)
                _write_all(fd, data, offset)
                sender.send_bytes(_SPOOLED + _NOTICE.pack(offset, len(data)))
                offset += len(data)
            sender.send_bytes(encode(_DONE_MARK))
        except BaseException as exc:  # handed to the consumer, which decides
            sender.send_bytes(encode(_Failed(_portable(exc))))
        finally:
            sender.close()

    child = ctx.Process(target=produce, name="seatwise-sync-fetch", daemon=True)
    try:
        child.start()
    except BaseException:  # e.g. no memory to fork: leave no handle open
        for handle in (receiver, sender, spool):
            handle.close()
        raise
    sender.close()  # the child holds the writing end; EOF here means it died

    def consume() -> Iterator[Chunk]:
        while True:
            try:
                message = receiver.recv_bytes()
            except (EOFError, OSError):
                child.join(timeout=5)
                raise ConnectorError(
                    f"the connector's fetch process ended unexpectedly "
                    f"(exit code {child.exitcode}); nothing was applied"
                ) from None
            if message[:1] == _SPOOLED:
                offset, length = _NOTICE.unpack_from(message, 1)
                message = os.pread(fd, length, offset)
            item: Any = decode(message)
            if isinstance(item, str) and item == _DONE_MARK:
                return
            if isinstance(item, _Failed):
                raise item.exc
            yield item if isinstance(item, Chunk) else to_chunk(item)
            finished.value += 1

    try:
        yield consume()
    finally:
        if child.is_alive():
            child.terminate()
        child.join(timeout=10)
        receiver.close()
        spool.close()


def fetched(connector: Connector) -> contextlib.AbstractContextManager[Iterator[Chunk]]:
    """The best available way to run a connector's fetch beside the caller (module docstring).

    Reads ``connector.pages()``, maps pages with ``connector.chunk`` and moves chunks as
    its ``plain_values`` allow (see :func:`app.sync.wire.encode`).
    """
    if fork_available():
        return fetched_in_process(
            connector.pages, to_chunk=connector.chunk, plain=connector.plain_values
        )
    return fetched_in_background(connector.pages, to_chunk=connector.chunk)
