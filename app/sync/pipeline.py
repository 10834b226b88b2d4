"""Run a connector's fetch in a background thread, so the database work overlaps it.

A sync spends most of its time waiting for the vendor's next page; meanwhile the
previous records can be written. The fetch thread hands records over in chunks through
a bounded queue (so memory stays bounded: at most ``depth`` chunks wait), and the
caller's thread — the one owning the database transaction — consumes them. An error in
the fetch is re-raised, as the same exception object, in the consuming thread; when the
consumer stops early the fetch thread is told to stop and its generator is closed in its
own thread (which closes its HTTP connections).
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

CHUNK = 1000
DEPTH = 64
_DONE = object()


class _Failed:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


@contextlib.contextmanager
def fetched_in_background(
    fetch: Callable[[], Iterable[T]], *, chunk: int = CHUNK, depth: int = DEPTH
) -> Iterator[Iterator[list[T]]]:
    """Yield an iterator of record chunks produced by ``fetch()`` in another thread."""
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
            records = iter(fetch())
            try:
                batch: list[T] = []
                for record in records:
                    batch.append(record)
                    if len(batch) >= chunk:
                        if not put(batch):
                            return
                        batch = []
                if batch and not put(batch):
                    return
            finally:
                close = getattr(records, "close", None)
                if close is not None:  # a generator: end it here, in its own thread
                    close()
            put(_DONE)
        except BaseException as exc:  # handed to the consumer, which decides
            put(_Failed(exc))

    def consume() -> Iterator[list[T]]:
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
