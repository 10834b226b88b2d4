"""`seatwise people list`: each person with their accounts per source and licences."""

from __future__ import annotations

from typing import Annotated

import typer

from app.core.cli_runtime import choice, db_session, print_json
from app.people import service


def register(app: typer.Typer) -> None:
    """Add the `people` group."""
    group = typer.Typer(help="People across every source.", no_args_is_help=True)
    app.add_typer(group, name="people")

    @group.command("list")
    def list_(
        json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
        status: Annotated[
            str | None, typer.Option(help="Only persons with this status (active, leaver).")
        ] = None,
    ) -> None:
        """List people, their accounts per source and the licences they hold."""
        status = choice(status, service.PERSON_STATUSES, "--status")
        with db_session() as session:
            items, _ = service.list_people(session=session, status=status)
        if json_:
            print_json(items)
            return
        for p in items:
            sources = ", ".join(f"{a['connector']}:{a['status']}" for a in p["accounts"])
            typer.echo(
                f"{p['email']:40} {p['status']:7} {len(p['licences'])} licence(s)  {sources}"
            )
