"""Which process does a piece of work, and whether that process is still there.

A sync run records itself as ``running`` and records its own end; a process killed
outright (SIGKILL, a crash, a server restart with a sync in a thread) never does, and
its run would say "running" for good. The run therefore records its process as
``host:pid:start``; any process on the same host can later tell that one is gone, and
tidy up at once instead of after a timeout. ``start`` (the kernel's start time of the
process, from ``/proc``) tells a pid the kernel has since given to another process
from the original. On another host, or without ``/proc``, nobody can tell: callers
then fall back to age.
"""

from __future__ import annotations

import os
import socket


def _started(pid: int) -> str:
    """The process's start time in clock ticks since boot ("" when unknown)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            fields = stat.read().rpartition(")")[2].split()
    except OSError:
        return ""
    # Field 22 of stat is starttime; the split starts at field 3 (state).
    return fields[19] if len(fields) > 19 else ""


def process_tag() -> str:
    """This process, as ``host:pid:start`` (at most 200 characters)."""
    pid = os.getpid()
    return f"{socket.gethostname()[:150]}:{pid}:{_started(pid)}"


def process_gone(tag: str | None) -> bool:
    """True only when ``tag`` names a process of this host that has ended.

    False when it is alive, when it ran on another host, or when this cannot be told
    (no tag, no ``/proc``): the caller must then not assume anything.
    """
    return _state(tag) == "gone"


def process_alive(tag: str | None) -> bool:
    """True only when ``tag`` names a process of this host that is still running."""
    return _state(tag) == "alive"


def _state(tag: str | None) -> str:
    """``gone``, ``alive`` or ``unknown`` (another host, no tag, nothing to read)."""
    if not tag:
        return "unknown"
    host, pid_text, start = _split(tag)
    if host != socket.gethostname()[:150] or not pid_text.isdigit():
        return "unknown"
    pid = int(pid_text)
    if pid == os.getpid():
        return "alive"
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return "gone"
    except PermissionError:
        pass  # alive, and another user's
    now = _started(pid)
    return "gone" if start and now and now != start else "alive"


def _split(tag: str) -> tuple[str, str, str]:
    host_and_pid, _, start = tag.rpartition(":")
    host, _, pid = host_and_pid.rpartition(":")
    return host, pid, start
