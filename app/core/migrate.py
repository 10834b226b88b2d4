"""Run Alembic migrations programmatically (used by the CLI and tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

import migrations
from app.core.errors import SeatwiseError


def alembic_config(engine: Engine) -> Config:
    """An Alembic config pointing at the shipped ``migrations`` package."""
    script_dir = Path(migrations.__file__).parent
    cfg = Config(str(script_dir / "alembic.ini"))
    cfg.set_main_option("script_location", str(script_dir))
    cfg.set_main_option(
        "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
    )
    return cfg


def unknown_current(engine: Engine) -> str | None:
    """The database's revision when this version ships no such migration (a newer
    Seatwise upgraded it), else None."""
    now = current(engine)
    return now if now is not None and now not in revisions(engine) else None


def _refuse_unknown_current(engine: Engine) -> None:
    now = unknown_current(engine)
    if now is not None:
        raise SeatwiseError(
            f"the database is at revision {now!r}, newer than this version of Seatwise "
            f"(its newest is {head(engine)!r}): a newer Seatwise upgraded it. Run that "
            "version (or a later one), or restore the backup taken before that upgrade"
        )


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to ``revision``."""
    _refuse_unknown_current(engine)
    with engine.begin() as connection:
        cfg = alembic_config(engine)
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Revert migrations down to ``revision`` (``base`` reverts all)."""
    _refuse_unknown_current(engine)
    with engine.begin() as connection:
        cfg = alembic_config(engine)
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, revision)


def current(engine: Engine) -> str | None:
    """The revision the database is at, or None when it has none."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head(engine: Engine) -> str | None:
    """The newest revision shipped with this version."""
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def revisions(engine: Engine) -> list[str]:
    """Every shipped revision, oldest first."""
    script = ScriptDirectory.from_config(alembic_config(engine))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]
