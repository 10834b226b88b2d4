"""The ``seatwise`` command: thin wrappers calling services.

Exit codes: 0 success; 1 operational error, one line on stderr (traceback with
``--debug``); 2 usage error.
"""

from __future__ import annotations

import importlib
import logging
import sys
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError
from typer.exceptions import TyperException

from app.core.cli_runtime import state
from app.core.errors import (
    ConflictError,
    DatabaseBusyError,
    SeatwiseError,
    from_database_error,
)
from app.core.settings import SettingsError

# Sub-command modules; each exposes ``register(app: typer.Typer)``.
COMMAND_MODULES = [
    "app.core.cli_db",
    "app.core.cli_jobs",
    "app.auth.cli",
    "app.inventory.contracts_cli",
    "app.findings.cli",
    "app.sync.cli",
    "app.inventory.cli",
    "app.people.cli",
    "app.demo",
    "app.notify.cli",
    "app.renewals.cli",
    "app.spend.cli",
]

app = typer.Typer(
    name="seatwise",
    help="Seatwise: SaaS licence and spend management.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version_callback(value: bool) -> None:
    if value:
        from app.main import version

        typer.echo(f"seatwise {version()}")
        raise typer.Exit


VENDOR_LOGGERS = ("msal", "googleapiclient", "google.auth", "slack_sdk")


@app.callback()
def root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version_callback, is_eager=True, help="Show the version."
        ),
    ] = False,
) -> None:
    """Seatwise: find unused SaaS seats, overlapping tools and renewals before they bite."""
    state.debug = debug
    # Vendor SDKs log the failures Seatwise explains itself (msal even with a traceback
    # and the raw answer): one line on stderr, unless --debug asks for more.
    for name in VENDOR_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET if debug else logging.CRITICAL)


for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(app)


def _operational_message(exc: BaseException) -> str:
    from connectors.base import ConnectorError

    if isinstance(exc, SettingsError | SeatwiseError | ConnectorError):
        return str(exc)
    from alembic.util.exc import CommandError

    if isinstance(exc, CommandError):  # e.g. a revision that does not exist
        return f"migration: {exc}"
    if isinstance(exc, SQLAlchemyError):
        known = from_database_error(exc)
        if isinstance(known, DatabaseBusyError | ConflictError):
            return str(known)
        orig = getattr(exc, "orig", None)
        detail = str(orig or exc).strip().splitlines()[0]
        if "no such table" in detail or ("relation" in detail and "does not exist" in detail):
            return f"database error: {detail} (is the database migrated? run `seatwise db upgrade`)"
        return f"database error: {detail}"
    if isinstance(exc, OSError):
        return f"{exc.__class__.__name__}: {exc}"
    return f"unexpected error: {exc.__class__.__name__}: {exc}"


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        result = app(args=args, prog_name="seatwise", standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("Aborted.", err=True)
        sys.exit(1)
    except TyperException as exc:
        # Usage errors (unknown option, bad choice) print their help hint; exit 2.
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            typer.echo(f"seatwise: error: {exc}", err=True)
        sys.exit(getattr(exc, "exit_code", 2))
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        if debug:
            raise
        typer.echo(f"seatwise: error: {_operational_message(exc)}", err=True)
        sys.exit(1)
    sys.exit(result if isinstance(result, int) else 0)
