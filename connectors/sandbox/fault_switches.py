"""Fault switches of a simulator, settable from tests and over HTTP.

Each simulator keeps a mutable dataclass of switches (``faults``). Tests flip them
directly; ``POST /_sandbox/faults`` with a JSON object sets some, ``DELETE`` puts every
switch back to its default, and ``GET`` shows them.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

_lock = threading.Lock()


def take_one(faults: Any, name: str) -> bool:
    """Consume one use of a counting switch; True when the fault should fire now."""
    with _lock:
        left = getattr(faults, name)
        if left > 0:
            setattr(faults, name, left - 1)
            return True
        return False


def reset(faults: Any) -> None:
    """Put every switch of ``faults`` back to its default, in place."""
    fresh = type(faults)()
    for f in dataclasses.fields(faults):
        setattr(faults, f.name, getattr(fresh, f.name))


def apply(faults: Any, changes: dict[str, Any]) -> None:
    """Set the switches named in ``changes``; unknown names raise ``KeyError``."""
    names = {f.name for f in dataclasses.fields(faults)}
    unknown = sorted(set(changes) - names)
    if unknown:
        raise KeyError(", ".join(unknown))
    for name, value in changes.items():
        setattr(faults, name, value)


def add_fault_routes(app: FastAPI, faults: Any) -> None:
    """Serve ``/_sandbox/faults`` (GET, POST, DELETE) for ``faults`` on ``app``."""

    @app.get("/_sandbox/faults", include_in_schema=False)
    def show() -> JSONResponse:
        return JSONResponse(dataclasses.asdict(faults))

    @app.post("/_sandbox/faults", include_in_schema=False)
    async def change(request: Request) -> JSONResponse:
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"error": "body must be a JSON object"}, status_code=400)
        if not isinstance(body, dict):
            return JSONResponse({"error": "body must be a JSON object"}, status_code=400)
        try:
            apply(faults, body)
        except KeyError as exc:
            return JSONResponse({"error": f"unknown fault switch: {exc.args[0]}"}, 400)
        return JSONResponse(dataclasses.asdict(faults))

    @app.delete("/_sandbox/faults", include_in_schema=False)
    def clear() -> JSONResponse:
        reset(faults)
        return JSONResponse(dataclasses.asdict(faults))
