"""`seatwise db` and `seatwise serve`."""

from __future__ import annotations

import signal
from typing import Annotated

import typer

from app.core import migrate
from app.core.cli_runtime import state
from app.core.errors import SeatwiseError
from app.core.settings import warn_if_generated_key


def _known_revision(revision: str) -> None:
    """Refuse a revision no migration has (a usage error), listing the shipped ones."""
    shipped = migrate.revisions(state.engine)
    if revision not in {"head", "base", *shipped} and not revision.startswith(("+", "-")):
        raise typer.BadParameter(
            f"no migration {revision!r}; shipped: {', '.join(shipped)}, or head / base",
            param_hint="REVISION",
        )


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(0)


def check_bindable(host: str, port: int) -> None:
    """Say plainly (exit 1) that the address is taken, before anything starts."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        family, kind, proto, _, address = infos[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as exc:
        raise SeatwiseError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc} (another program may "
            "use that port: choose another with --port)"
        ) from None


def register(app: typer.Typer) -> None:
    """Add the `db` group and `serve` to the root command."""
    db = typer.Typer(help="Database migrations.", no_args_is_help=True)
    app.add_typer(db, name="db")

    @db.command("upgrade")
    def upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
        """Apply migrations (default: all)."""
        _known_revision(revision)
        migrate.upgrade(state.engine, revision)
        typer.echo(f"database at {migrate.current(state.engine) or 'base'}")

    @db.command("downgrade")
    def downgrade(revision: Annotated[str, typer.Argument(help="Target, or 'base'.")]) -> None:
        """Revert migrations down to REVISION ('base' reverts all)."""
        _known_revision(revision)
        migrate.downgrade(state.engine, revision)
        typer.echo(f"database at {migrate.current(state.engine) or 'base'}")

    @db.command("current")
    def current() -> None:
        """Show the database's revision and the newest one shipped."""
        now = migrate.current(state.engine) or "base"
        head = migrate.head(state.engine)
        if migrate.unknown_current(state.engine) is not None:
            advice = " — newer than this version of Seatwise: run the version that upgraded it"
        else:
            advice = "" if now == head else " — run `seatwise db upgrade`"
        typer.echo(f"{now} (head: {head}){advice}")

    @app.command("serve")
    def serve(
        host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    ) -> None:
        """Serve the web UI and REST API, with the job scheduler unless
        SEATWISE_SCHEDULER_ENABLED is false."""
        check_bindable(host, port)
        import uvicorn

        from app.main import create_app

        settings = state.settings
        warn_if_generated_key(settings)
        typer.echo(
            f"Seatwise on http://{host}:{port}{settings.root_path}/ "
            f"(database: {state.engine.url.get_backend_name()})"
        )
        from app.core.cli_jobs import start_scheduler, stop_scheduler

        scheduler = start_scheduler(settings)
        if scheduler is not None:
            # uvicorn shuts down on SIGTERM/SIGINT, then raises the signal again under the
            # handler it found: by default that ends the process at once, before the
            # scheduler below lets its lock go and its running job finish.
            for stop_signal in (signal.SIGTERM, signal.SIGINT):
                signal.signal(stop_signal, _exit_on_signal)
        try:
            uvicorn.run(create_app(settings, state.engine), host=host, port=port, log_level="info")
        finally:
            if scheduler is not None:
                stop_scheduler(scheduler)
