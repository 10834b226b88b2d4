"""The connector registry: entry points in, loud errors for connectors that cannot load."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.base import ConnectorConfigError, ConnectorLoadError
from connectors.microsoft365 import Microsoft365Connector
from connectors.registry import clear_cache, connector_kinds, get_connector, load_connectors


@pytest.fixture
def plugin_dist(tmp_path: Path) -> Iterator[Path]:
    """A real installed distribution on sys.path whose entry points we write."""
    dist = tmp_path / "seatwise_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: seatwise-plugin\nVersion: 1.0\n")
    sys.path.insert(0, str(tmp_path))
    clear_cache()
    yield dist
    sys.path.remove(str(tmp_path))
    clear_cache()


def test_microsoft365_is_loaded_from_its_entry_point() -> None:
    assert get_connector("microsoft365") is Microsoft365Connector
    assert "microsoft365" in connector_kinds()


def test_unknown_kind_is_config_error_listing_known_kinds() -> None:
    with pytest.raises(ConnectorConfigError, match="microsoft365"):
        get_connector("no_such_kind")


def test_connector_that_fails_to_import_is_load_error_naming_it(plugin_dist: Path) -> None:
    (plugin_dist / "entry_points.txt").write_text(
        "[seatwise.connectors]\nbroken = seatwise_no_such_module:Thing\n"
    )
    with pytest.raises(ConnectorLoadError, match=r"'broken'.*seatwise_no_such_module"):
        load_connectors()
    with pytest.raises(ConnectorLoadError, match="ModuleNotFoundError"):
        get_connector("broken")


def test_entry_point_that_is_not_a_connector_is_load_error(plugin_dist: Path) -> None:
    (plugin_dist / "entry_points.txt").write_text("[seatwise.connectors]\nodd = pathlib:Path\n")
    with pytest.raises(ConnectorLoadError, match="not a Connector"):
        get_connector("odd")
