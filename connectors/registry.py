"""The connector registry, loaded from the ``seatwise.connectors`` entry points.

Built-in connectors register through the same entry-point group third parties use.
A connector that fails to import is an error naming the entry point and the cause,
never a silent skip: a sync that quietly lost a source would report every seat in
it as removed.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import EntryPoint, entry_points

from connectors.base import Connector, ConnectorConfigError, ConnectorLoadError

GROUP = "seatwise.connectors"


def _load_entry_point(ep: EntryPoint) -> type[Connector]:
    try:
        cls = ep.load()
    except Exception as exc:  # any import failure must surface, with its cause
        raise ConnectorLoadError(
            f"connector {ep.name!r} ({ep.value}) failed to load: {type(exc).__name__}: {exc}"
        ) from exc
    if not (isinstance(cls, type) and issubclass(cls, Connector)):
        raise ConnectorLoadError(f"connector {ep.name!r} ({ep.value}) is not a Connector subclass")
    if getattr(cls, "kind", ep.name) != ep.name:
        raise ConnectorLoadError(
            f"connector {ep.name!r} ({ep.value}) declares kind {cls.kind!r}; "
            "the entry-point name and the class's kind must match."
        )
    return cls


def _entry_points() -> dict[str, EntryPoint]:
    found: dict[str, EntryPoint] = {}
    for ep in entry_points(group=GROUP):
        if ep.name in found and found[ep.name].value != ep.value:
            raise ConnectorLoadError(
                f"connector {ep.name!r} is registered twice in {GROUP!r} "
                f"({found[ep.name].value} and {ep.value}); uninstall one of them."
            )
        found[ep.name] = ep
    return found


@cache
def _load(kind: str) -> type[Connector]:
    eps = _entry_points()
    if kind not in eps:
        known = ", ".join(sorted(eps)) or "none"
        raise ConnectorConfigError(f"unknown connector kind {kind!r}; known kinds: {known}")
    return _load_entry_point(eps[kind])


def connector_kinds() -> list[str]:
    """Kinds registered in the entry-point group, without importing them."""
    return sorted(_entry_points())


def load_connectors() -> dict[str, type[Connector]]:
    """Load every registered connector class.

    Returns:
        Connector classes by kind.

    Raises:
        ConnectorLoadError: An entry point failed to import or is not a connector.
    """
    return {kind: _load(kind) for kind in connector_kinds()}


def get_connector(kind: str) -> type[Connector]:
    """Return the connector class registered under ``kind``.

    Raises:
        ConnectorConfigError: No connector of that kind is registered.
        ConnectorLoadError: The registered connector failed to load.
    """
    return _load(kind)


def clear_cache() -> None:
    """Forget loaded connectors (after installing a plugin, and in tests)."""
    _load.cache_clear()
