"""`seatwise policy set|list` and `seatwise catalog add|list`: what the analysis follows."""

from __future__ import annotations

from typing import Annotated

import typer

from analytics.catalog import load_catalog
from app.core.cli_runtime import db_session, print_json, state
from app.findings import catalog_service, policies

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _positive(value: int | None, option: str) -> int | None:
    if value is not None and value <= 0:
        raise typer.BadParameter(
            f"must be a positive number of days, got {value}", param_hint=option
        )
    return value


def register_policy(app: typer.Typer) -> None:
    """Add the `policy` group."""
    group = typer.Typer(
        help="Analysis thresholds, global or per application.", no_args_is_help=True
    )
    app.add_typer(group, name="policy")

    @group.command("set")
    def set_command(
        application: Annotated[
            str | None,
            typer.Option("--application", help="Override for one application (default: global)."),
        ] = None,
        inactive_days: Annotated[
            int | None,
            typer.Option("--inactive-days", help="Days without activity before a seat is unused."),
        ] = None,
        never_used_grace_days: Annotated[
            int | None,
            typer.Option(
                "--never-used-grace-days",
                help="Days a never-active account may hold a seat before it is flagged.",
            ),
        ] = None,
    ) -> None:
        """Set inactivity thresholds globally or for one application."""
        _positive(inactive_days, "--inactive-days")
        _positive(never_used_grace_days, "--never-used-grace-days")
        if inactive_days is None and never_used_grace_days is None:
            raise typer.BadParameter(
                "give --inactive-days and/or --never-used-grace-days", param_hint="policy set"
            )
        with db_session() as session:
            row = policies.set_policy(
                session=session,
                application=application,
                inactive_days=inactive_days,
                never_used_grace_days=never_used_grace_days,
            )
            values = (row.inactive_days, row.never_used_grace_days)
        typer.echo(
            f"policy for {application or 'all applications'}: "
            f"inactive_days={values[0]} never_used_grace_days={values[1]}"
        )

    @group.command("list")
    def list_command(json_: JsonOption = False) -> None:
        """Show the global thresholds and every per-application override."""
        with db_session() as session:
            rows = policies.list_policies(session=session, settings=state.settings)
        if json_:
            print_json(
                [
                    {
                        "application": r.application,
                        "inactive_days": r.inactive_days,
                        "never_used_grace_days": r.never_used_grace_days,
                        "source": r.source,
                    }
                    for r in rows
                ]
            )
            return
        typer.echo(f"{'APPLICATION':30} {'INACTIVE_DAYS':>13} {'NEVER_USED_GRACE':>16}  SOURCE")
        for r in rows:
            typer.echo(
                f"{r.application or '(global)':30} {_show(r.inactive_days):>13} "
                f"{_show(r.never_used_grace_days):>16}  {r.source}"
            )


def _show(value: int | None) -> str:
    return "global" if value is None else str(value)


def register_catalog(app: typer.Typer) -> None:
    """Add the `catalog` group."""
    group = typer.Typer(help="The app catalogue and your corrections.", no_args_is_help=True)
    app.add_typer(group, name="catalog")

    @group.command("add")
    def add_command(
        key: Annotated[str, typer.Option("--key", help="Catalogue key (lower-case slug).")],
        name: Annotated[str, typer.Option("--name", help="Display name.")],
        vendor: Annotated[str, typer.Option("--vendor", help="Vendor name.")],
        category: Annotated[str, typer.Option("--category", help="Category key.")],
        capabilities: Annotated[
            str, typer.Option("--capabilities", help="Comma-separated capability keys.")
        ],
        suite: Annotated[bool, typer.Option("--suite", help="The app is a suite.")] = False,
        aliases: Annotated[
            str | None, typer.Option("--aliases", help="Comma-separated other names.")
        ] = None,
        website: Annotated[str | None, typer.Option("--website", help="Vendor website.")] = None,
    ) -> None:
        """Add an application to the catalogue, or correct an existing entry."""
        caps = [c.strip() for c in capabilities.split(",") if c.strip()]
        catalog = load_catalog()
        unknown = sorted({c for c in caps if c not in catalog.capabilities})
        if unknown:
            raise typer.BadParameter(
                f"unknown capability key(s): {', '.join(unknown)}", param_hint="--capabilities"
            )
        if category not in catalog.categories:
            known = ", ".join(sorted(catalog.categories))
            raise typer.BadParameter(
                f"unknown category key {category!r}; known: {known}", param_hint="--category"
            )
        with db_session() as session:
            app_entry = catalog_service.add_entry(
                session=session,
                key=key,
                name=name,
                vendor=vendor,
                category=category,
                capabilities=caps,
                is_suite=suite,
                aliases=(aliases or "").split(","),
                website=website,
            )
        typer.echo(f"catalogue entry {app_entry.key} saved ({app_entry.name})")

    @group.command("list")
    def list_command(
        json_: JsonOption = False,
        category: Annotated[
            str | None, typer.Option("--category", help="Only this category key.")
        ] = None,
    ) -> None:
        """List catalogue applications (your corrections included)."""
        if category is not None:
            known = load_catalog().categories
            if category not in known:
                raise typer.BadParameter(
                    f"unknown category key {category!r}", param_hint="--category"
                )
        with db_session() as session:
            rows = catalog_service.list_entries(session=session, category=category)
        if json_:
            print_json([{**catalog_service.app_to_data(a), "user_entry": mine} for a, mine in rows])
            return
        for a, mine in rows:
            flag = "*" if mine else " "
            kind = "suite" if a.is_suite else "app"
            typer.echo(f"{flag} {a.key:32} {a.name:32} {a.category:24} {kind}")
