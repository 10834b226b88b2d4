"""`seatwise connector …`, `seatwise sync` and `seatwise sandbox serve`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from app.core.cli_runtime import db_session, print_json, state
from app.core.errors import InvalidInputError, SeatwiseError
from app.sync import configs
from app.sync.service import sync_many
from connectors.base import (
    ConnectorAuthError,
    ConnectorConfigError,
    ConnectorDataError,
    ConnectorError,
    ConnectorPermissionError,
    ConnectorRateLimited,
    ConnectorUnavailable,
)

FAILURE_KINDS: tuple[tuple[type[ConnectorError], str], ...] = (
    (ConnectorAuthError, "credentials refused"),
    (ConnectorPermissionError, "permission missing"),
    (ConnectorRateLimited, "throttled"),
    (ConnectorUnavailable, "unavailable"),
    (ConnectorDataError, "unreadable answer"),
    (ConnectorConfigError, "invalid configuration"),
)


def _usage_error(message: str) -> typer.Exit:
    typer.echo(f"seatwise: error: {message}", err=True)
    return typer.Exit(2)


def read_config_argument(value: str) -> dict[str, Any]:
    """Parse ``--config``: inline JSON, or ``@file.json``; usage errors exit 2."""
    text = value
    if value.startswith("@"):
        try:
            path = Path(value[1:]).expanduser()
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise _usage_error(
                f"--config file {value[1:]!r} cannot be read: {exc.strerror or exc}"
            ) from None
        except RuntimeError:  # ~user naming nobody
            raise _usage_error(f"--config file {value[1:]!r}: no such home directory") from None
        except UnicodeDecodeError:
            raise _usage_error(f"--config file {value[1:]!r} is not UTF-8 text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _usage_error(f"--config is not valid JSON: {exc.msg} at line {exc.lineno}") from None
    except RecursionError:
        raise _usage_error("--config is nested too deeply to read") from None
    if not isinstance(data, dict):
        raise _usage_error("--config must be a JSON object of connector settings")
    bad = _unstorable(data)
    if bad:
        raise _usage_error(f"--config: {bad}")
    return data


def _unstorable(value: Any) -> str | None:
    """Why a config's text cannot be stored (NUL, or half of a UTF-16 pair), else None."""
    if isinstance(value, str):
        if "\x00" in value:
            return "a value contains a NUL character (\\u0000)"
        if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
            return "a value contains a lone UTF-16 surrogate (such as \\ud800), not text"
        return None
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, item in items:
        problem = _unstorable(key) if isinstance(key, str) else None
        if problem is None:
            problem = _unstorable(item)
        if problem is not None:
            return problem
    return None


def _check_message(name: str, exc: ConnectorError) -> str:
    label = next((text for cls, text in FAILURE_KINDS if isinstance(exc, cls)), "failed")
    return f"connector {name}: {label}: {exc}"


def register(app: typer.Typer) -> None:
    """Add the `connector` group, `sync` and `sandbox serve`."""
    group = typer.Typer(help="Sources of accounts and licences.", no_args_is_help=True)
    app.add_typer(group, name="connector")

    @group.command("add")
    def add(
        kind: Annotated[str, typer.Argument(help="Connector kind, e.g. microsoft365.")],
        name: Annotated[str, typer.Option(help="A unique name for this connector.")],
        config: Annotated[str, typer.Option(help="Settings as JSON, or @file.json.")],
    ) -> None:
        """Add a connector (secrets are stored encrypted)."""
        data = read_config_argument(config)
        try:
            configs.connector_class(kind)
        except configs.ConnectorKindError as exc:
            raise _usage_error(str(exc)) from None
        with db_session() as session:
            try:
                row = configs.add_connector(
                    session=session, settings=state.settings, kind=kind, name=name, config=data
                )
            except InvalidInputError as exc:  # bad name or config: a usage error
                raise _usage_error(str(exc)) from None
            typer.echo(f"added connector {row.name} ({row.kind})")

    @group.command("list")
    def list_(json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
        """List connectors (secrets masked) with their last run."""
        with db_session() as session:
            rows = configs.list_connectors(session=session)
            views = configs.connector_views(session=session, rows=rows)
        if json_:
            print_json(views)
            return
        if not views:
            typer.echo("no connectors; add one with `seatwise connector add KIND --name …`")
        for v in views:
            run = v["last_run"]
            status = f"last sync {run['status']}" if run else "never synced"
            flags = " (identity provider)" if v["identity_provider"] else ""
            typer.echo(f"{v['name']:24} {v['kind']:18} {status}{flags}")

    @group.command("test")
    def test(name: Annotated[str, typer.Argument(help="Connector name.")]) -> None:
        """Check the credentials with one cheap call."""
        with db_session() as session:
            row = configs.get_connector_config(session=session, name=name)
            session.expunge(row)
        try:
            summary = configs.build_connector(row, state.settings).check()
        except ConnectorError as exc:
            raise SeatwiseError(_check_message(name, exc)) from exc
        typer.echo(f"{name}: OK: {summary}")

    @group.command("remove")
    def remove(name: Annotated[str, typer.Argument(help="Connector name.")]) -> None:
        """Remove a connector with its accounts, seats and run history."""
        with db_session() as session:
            configs.remove_connector(session=session, name=name)
        typer.echo(f"removed connector {name}")

    @app.command("sync")
    def sync(
        names: Annotated[
            list[str] | None, typer.Argument(help="Connectors to sync (default: all enabled).")
        ] = None,
        json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Sync connectors now; exit 1 if any failed."""
        results = sync_many(engine=state.engine, settings=state.settings, names=names or [])
        if json_:
            print_json([r.as_dict() for r in results])
        else:
            if not results:
                typer.echo("no enabled connectors to sync")
            for r in results:
                if r.status != "succeeded":
                    typer.echo(f"{r.connector}: FAILED (run {r.run_id})")
                    continue
                c = r.counts
                typer.echo(
                    f"{r.connector}: synced (run {r.run_id}): {c.get('products', 0)} products, "
                    f"{c.get('accounts', 0)} accounts ({_changes(c, 'accounts')}), "
                    f"{c.get('assignments', 0)} seats ({_changes(c, 'assignments')}), "
                    f"{c.get('persons_created', 0)} new people"
                )
                for warning in r.warnings:
                    typer.echo(f"  warning: {warning}")
        failed = [r for r in results if r.status != "succeeded"]
        for r in failed:
            typer.echo(f"seatwise: error: sync of {r.connector} failed: {r.error}", err=True)
        if failed:
            raise typer.Exit(1)

    sandbox = typer.Typer(help="Local simulators of the vendor APIs.", no_args_is_help=True)
    app.add_typer(sandbox, name="sandbox")

    @sandbox.command("serve")
    def serve(
        size: Annotated[int, typer.Option(min=1, help="Employees of the fake company.")] = 200,
        seed: Annotated[int, typer.Option(help="Company seed.")] = 1,
        host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
        tls_dir: Annotated[Path, typer.Option(help="Where the CA is written.")] = Path(
            ".sandbox/tls"
        ),
    ) -> None:
        """Serve the Microsoft 365, Google Workspace and Slack sandboxes until Ctrl+C."""
        from connectors.sandbox.server import serve_forever

        serve_forever(seed=seed, size=size, tls_dir=tls_dir, host=host, echo=typer.echo)


def _changes(counts: dict[str, int], what: str) -> str:
    """``+added -removed``, and the restored ones (seen again after removal) when any."""
    text = f"+{counts.get(f'{what}_added', 0)} -{counts.get(f'{what}_removed', 0)}"
    restored = counts.get(f"{what}_restored", 0)
    return f"{text}, {restored} back" if restored else text
