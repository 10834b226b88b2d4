"""`seatwise inventory products|accounts`: the synced inventory."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlmodel import Session

from app.core.cli_runtime import db_session, print_json
from app.core.db import utcnow
from app.inventory import service
from app.sync.configs import get_connector_config


def _known_connector(session: Session, name: str | None) -> None:
    """A misspelt ``--connector`` is an error naming the configured ones, not an empty list."""
    if name is not None:
        get_connector_config(session=session, name=name)


def register(app: typer.Typer) -> None:
    """Add the `inventory` group."""
    group = typer.Typer(help="Synced products (SKUs) and accounts.", no_args_is_help=True)
    app.add_typer(group, name="inventory")

    @group.command("products")
    def products(
        json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
        active_days: Annotated[
            int, typer.Option(min=1, help="An assignee counts as active within this many days.")
        ] = 30,
        connector: Annotated[str | None, typer.Option(help="Only this connector.")] = None,
    ) -> None:
        """Products with seats purchased, consumed, assigned and active."""
        now = utcnow()
        with db_session() as session:
            _known_connector(session, connector)
            items, _ = service.inventory_products(
                session=session,
                today=now.date(),
                now=now,
                active_days=active_days,
                connector=connector,
            )
        if json_:
            print_json(items)
            return
        typer.echo(
            f"{'connector':16} {'product':40} {'bought':>7} {'consumed':>9} {'assigned':>9} "
            f"{'active':>7}"
        )
        for p in items:
            bought = "-" if p["seats_purchased"] is None else str(p["seats_purchased"])
            consumed = "-" if p["seats_consumed"] is None else str(p["seats_consumed"])
            typer.echo(
                f"{p['connector']:16} {p['name'][:40]:40} {bought:>7} {consumed:>9} "
                f"{p['seats_assigned']:>9} {p['seats_active']:>7}"
            )
        unknown = sum(p["seats_activity_unknown"] for p in items)
        if unknown:
            typer.echo(
                f"note: {unknown} seat(s) belong to accounts whose source reports no sign-in "
                "activity (e.g. a Microsoft 365 tenant without Entra ID P1); 'active' "
                "cannot count them."
            )

    @group.command("accounts")
    def accounts(
        json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
        connector: Annotated[str | None, typer.Option(help="Only this connector.")] = None,
    ) -> None:
        """Accounts with their status, last activity and the products they hold."""
        with db_session() as session:
            _known_connector(session, connector)
            items, _ = service.inventory_accounts(session=session, connector=connector)
        if json_:
            print_json(items)
            return
        for a in items:
            last = a["last_active_at"].date().isoformat() if a["last_active_at"] else "-"
            guest = " guest" if a["is_guest"] else ""
            typer.echo(
                f"{a['connector']:16} {(a['email'] or a['external_id'])[:40]:40} "
                f"{a['status']:10} {last:10} {len(a['products'])} product(s){guest}"
            )
