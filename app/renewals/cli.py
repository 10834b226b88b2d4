"""`seatwise renewals list|set`: the negotiation state of upcoming renewals."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from app.core.cli_runtime import db_session, print_json, state


def register(app: typer.Typer) -> None:
    """Add the `renewals` group."""
    renewals = typer.Typer(help="Upcoming renewals and their negotiation.", no_args_is_help=True)
    app.add_typer(renewals, name="renewals")

    @renewals.command("list")
    def list_(json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
        """Upcoming renewals, soonest first, with state, decision and owner."""
        from app.renewals.service import list_renewals

        today = datetime.now(state.settings.tz).date()
        with db_session() as session:
            views, _ = list_renewals(session=session, as_of=today)
        if json_:
            print_json([v.as_dict() for v in views])
            return
        for v in views:
            decision = f": {v.decision}" if v.decision else ""
            deadline = v.notice_deadline.isoformat() if v.notice_deadline else "—"
            bought = "?" if v.seats_bought is None else v.seats_bought
            advice = "" if v.recommended_seats is None else f", renew {v.recommended_seats}"
            typer.echo(
                f"{v.renewal_date.isoformat()}  notice {deadline}  {v.contract_number:16} "
                f"{v.application:24} {v.state}{decision}  owner {v.owner_email or '—'}  "
                f"seats {bought} bought, {v.seats_active} active{advice}"
            )

    @renewals.command("set")
    def set_(
        contract: Annotated[str, typer.Argument(help="The contract number.")],
        state_: Annotated[
            str | None,
            typer.Option("--state", help="open | negotiating | decided", show_default=False),
        ] = None,
        decision: Annotated[
            str | None,
            typer.Option(help="renew | downsize | cancel (with --state decided)"),
        ] = None,
        owner: Annotated[
            str | None, typer.Option(help="E-mail of the negotiation's owner.")
        ] = None,
        notes: Annotated[str | None, typer.Option(help="Free-text notes.")] = None,
        vendor: Annotated[
            str | None, typer.Option(help="Vendor name, when the number repeats across vendors.")
        ] = None,
        json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Record the negotiation state (and decision) of a contract's next renewal."""
        from app.renewals.service import DECISIONS, STATES, set_state

        if state_ is not None and state_ not in STATES:
            raise typer.BadParameter(
                f"unknown state {state_!r}; expected one of {', '.join(STATES)}",
                param_hint="--state",
            )
        if decision is not None and decision not in DECISIONS:
            raise typer.BadParameter(
                f"unknown decision {decision!r}; expected one of {', '.join(DECISIONS)}",
                param_hint="--decision",
            )
        if state_ == "decided" and decision is None:
            raise typer.BadParameter(
                "--state decided needs --decision renew|downsize|cancel", param_hint="--decision"
            )
        if state_ is not None and state_ != "decided" and decision is not None:
            raise typer.BadParameter(
                f"--decision needs --state decided, not {state_!r}", param_hint="--decision"
            )
        if state_ is None and decision is None and owner is None and notes is None:
            raise typer.BadParameter("nothing to change: give --state, --owner or --notes")
        today = datetime.now(state.settings.tz).date()
        with db_session() as session:
            view = set_state(
                session=session,
                contract_number=contract,
                vendor=vendor,
                as_of=today,
                actor="cli",
                state=state_,
                decision=decision,
                owner_email=owner,
                notes=notes,
            )
        if json_:
            print_json(view.as_dict())
            return
        decided = f": {view.decision}" if view.decision else ""
        typer.echo(
            f"contract {view.contract_number} renewal {view.renewal_date.isoformat()}: "
            f"{view.state}{decided} (owner {view.owner_email or '—'})"
        )
