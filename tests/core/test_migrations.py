"""Models and migrations agree, and migrations go all the way down and up again."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import app.models as models
from app.core import migrate
from tests.conftest import Database


def test_models_and_migrations_have_no_autogenerate_diff(database: Database) -> None:
    with database.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        diff = compare_metadata(context, models.metadata)
    assert diff == []


def test_downgrade_base_then_upgrade_again(database: Database) -> None:
    migrate.downgrade(database.engine, "base")
    try:
        tables = set(sa.inspect(database.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        assert migrate.current(database.engine) is None
    finally:
        migrate.upgrade(database.engine)
    assert migrate.current(database.engine) == migrate.head(database.engine)
    assert set(models.metadata.tables) <= set(sa.inspect(database.engine).get_table_names())
