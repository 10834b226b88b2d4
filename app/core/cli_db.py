"""`seatwise db` and `seatwise serve`."""

from __future__ import annotations

from typing import Annotated

import typer

from app.core import migrate
from app.core.cli_runtime import state
from app.core.settings import warn_if_generated_key


def register(app: typer.Typer) -> None:
    """Add the `db` group and `serve` to the root command."""
    db = typer.Typer(help="Database migrations.", no_args_is_help=True)
    app.add_typer(db, name="db")

    @db.command("upgrade")
    def upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
        """Apply migrations (default: all)."""
        migrate.upgrade(state.engine, revision)
        typer.echo(f"database at {migrate.current(state.engine) or 'base'}")

    @db.command("downgrade")
    def downgrade(revision: Annotated[str, typer.Argument(help="Target, or 'base'.")]) -> None:
        """Revert migrations down to REVISION ('base' reverts all)."""
        migrate.downgrade(state.engine, revision)
        typer.echo(f"database at {migrate.current(state.engine) or 'base'}")

    @db.command("current")
    def current() -> None:
        """Show the database's revision and the newest one shipped."""
        now = migrate.current(state.engine) or "base"
        head = migrate.head(state.engine)
        typer.echo(f"{now} (head: {head}){'' if now == head else ' — run `seatwise db upgrade`'}")

    @app.command("serve")
    def serve(
        host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    ) -> None:
        """Serve the web UI and REST API."""
        import uvicorn

        from app.main import create_app

        settings = state.settings
        warn_if_generated_key(settings)
        typer.echo(
            f"Seatwise on http://{host}:{port} (database: {state.engine.url.get_backend_name()})"
        )
        uvicorn.run(create_app(settings, state.engine), host=host, port=port, log_level="info")
