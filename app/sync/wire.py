"""Batches of rows (:mod:`connectors.rows`) as bytes between the fetch process and the run.

``marshal`` for connectors that promise plain values (``Connector.plain_values``), several
times faster than ``pickle``; ``pickle`` for the rest and for everything else the fetch
process sends (the end mark, errors).
"""

from __future__ import annotations

import marshal
import pickle
from typing import Any

from connectors.rows import Chunk

_MARSHAL = b"M"
_PICKLE = b"P"


def encode(item: object, *, plain: bool = False) -> bytes:
    """Bytes for the other process: a chunk by ``marshal`` when ``plain``, else by ``pickle``.

    ``plain`` is the connector's promise (``Connector.plain_values``) that rows hold only
    ``str``, ``int``, ``bool`` and ``None``: ``marshal`` refuses some other types but
    writes anything with a buffer (numpy scalars, say) as bytes, silently.
    """
    if plain and isinstance(item, Chunk):
        try:
            others = pickle.dumps(item.others, pickle.HIGHEST_PROTOCOL) if item.others else b""
            return _MARSHAL + marshal.dumps((item.accounts, item.seats, others))
        except ValueError:  # a value marshal cannot write (e.g. a str subclass): pickle it all
            pass
    return _PICKLE + pickle.dumps(item, pickle.HIGHEST_PROTOCOL)


def decode(data: bytes) -> Any:
    """The object :func:`encode` wrote (only ever bytes from our own fetch process)."""
    body = memoryview(data)[1:]
    if data[:1] == _MARSHAL:
        accounts, seats, others = marshal.loads(body)  # noqa: S302 - our own child's bytes
        return Chunk(accounts, seats, pickle.loads(others) if others else [])  # noqa: S301
    return pickle.loads(body)  # noqa: S301 - our own child's bytes
