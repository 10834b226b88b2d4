"""`seatwise inventory products|accounts|applications|set-app`: the inventory."""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import ValidationError

from app.core.cli_runtime import db_session, print_json
from app.core.db import utcnow
from app.core.errors import problem_text
from app.inventory import service
from app.inventory.app_edit import (
    ApplicationUpdate,
    find_application,
    list_applications,
    read_application,
    update_application,
)


def register(app: typer.Typer) -> None:
    """Add the `inventory` group."""
    group = typer.Typer(
        help="Synced products (SKUs) and accounts; applications.", no_args_is_help=True
    )
    app.add_typer(group, name="inventory")

    @group.command("products")
    def products(
        json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
        active_days: Annotated[
            int,
            typer.Option(
                min=1, max=36_500, help="An assignee counts as active within this many days."
            ),
        ] = 30,
        connector: Annotated[str | None, typer.Option(help="Only this connector.")] = None,
    ) -> None:
        """Products with seats purchased, consumed, assigned and active."""
        now = utcnow()
        with db_session() as session:
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

    @group.command("applications")
    def applications(
        json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
        search: Annotated[
            str, typer.Option(help="Part of the application's or vendor's name.")
        ] = "",
    ) -> None:
        """Applications with their vendor, category and owner."""
        with db_session() as session:
            items, _ = list_applications(session=session, search=search, limit=1_000_000)
        if json_:
            print_json([a.model_dump() for a in items])
            return
        for a in items:
            typer.echo(
                f"{a.id:>5} {a.name[:32]:32} {(a.vendor or '-')[:24]:24} "
                f"{(a.category or '-')[:24]:24} {a.owner_email or '-'}"
            )

    @group.command("set-app")
    def set_app(
        application: Annotated[str, typer.Argument(help="Application id or name.")],
        owner: Annotated[
            str | None, typer.Option(help="Owner e-mail; an empty text clears it.")
        ] = None,
        category: Annotated[
            str | None, typer.Option(help="Category; an empty text clears it.")
        ] = None,
    ) -> None:
        """Set an application's owner (renewal alerts fall back to it) or category."""
        if owner is None and category is None:
            raise typer.BadParameter("give --owner, --category or both")
        fields = {"owner_email": owner, "category": category}
        try:
            changes = ApplicationUpdate(**{k: v for k, v in fields.items() if v is not None})
        except ValidationError as exc:
            raise typer.BadParameter(problem_text(exc)) from None
        with db_session() as session:
            app_row = find_application(session=session, ref=application)
            update_application(session=session, application=app_row, changes=changes, actor="cli")
            shown = read_application(session=session, application=app_row)
        typer.echo(
            f"{shown.name}: owner {shown.owner_email or '-'}, category {shown.category or '-'}"
        )
