"""`seatwise analyze`, `seatwise findings list|dismiss|acknowledge|reopen`, and the
`policy` and `catalog` groups (registered from ``app.findings.cli_config``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from app.core.cli_runtime import choice, db_session, parse_day, print_json, state
from app.findings import review
from app.findings.cli_config import register_catalog, register_policy
from app.findings.review import SEVERITY_ORDER, FindingFilter
from app.findings.schemas import FindingRead
from app.findings.service import ACKNOWLEDGED, DISMISSED, OPEN, STATUSES, analyze

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ByOption = Annotated[str, typer.Option("--by", help="Who decides (recorded with the change).")]


def parse_as_of(value: str | None) -> date:
    """Return the analysis day: ``--as-of YYYY-MM-DD``, else the real date."""
    if value is None:
        return date.today()
    return parse_day(value, "--as-of")


def _print_table(rows: list[FindingRead]) -> None:
    if not rows:
        typer.echo("no findings")
        return
    header = f"{'SEVERITY':9} {'STATUS':12} {'KIND':22} {'SAVES/MONTH':>14}  {'SUBJECT':36} KEY"
    typer.echo(header)
    for r in rows:
        saving = f"{r.monthly_savings} {r.currency or ''}".strip() if r.monthly_savings else "-"
        typer.echo(
            f"{r.severity:9} {r.status:12} {r.kind:22} {saving:>14}  {r.subject[:36]:36} {r.key}"
        )


def register(app: typer.Typer) -> None:
    """Add `analyze`, the `findings` group, and the `policy` and `catalog` groups."""
    findings = typer.Typer(help="Findings: what to act on.", no_args_is_help=True)
    app.add_typer(findings, name="findings")
    register_policy(app)
    register_catalog(app)

    @app.command("analyze")
    def analyze_command(
        json_: JsonOption = False,
        as_of: Annotated[
            str | None,
            typer.Option("--as-of", help="The day every rule treats as today (YYYY-MM-DD)."),
        ] = None,
    ) -> None:
        """Run every analytics rule over the inventory and update the findings."""
        today = parse_as_of(as_of)
        with db_session() as session:
            summary = analyze(session=session, settings=state.settings, today=today)
        if json_:
            print_json(summary.as_json())
            return
        data = summary.as_json()
        typer.echo(f"analysis as of {data['as_of']}")
        for kind, count in data["counts"].items():
            typer.echo(f"  {kind:24} {count:>7}")
        if not data["counts"]:
            typer.echo("  no findings")
        for currency, total in data["total_monthly_savings"].items():
            typer.echo(f"monthly savings (open and acknowledged): {total} {currency}")
        typer.echo(
            f"new: {data['new']}  resolved: {data['resolved']}  reopened: {data['reopened']}"
        )
        for warning in data["warnings"]:
            typer.echo(f"warning: {warning}", err=True)

    @findings.command("list")
    def list_command(
        json_: JsonOption = False,
        kind: Annotated[str | None, typer.Option("--kind", help="Only this kind.")] = None,
        status: Annotated[
            str | None,
            typer.Option(
                "--status",
                help=f"Only this status ({', '.join(STATUSES)}); default: all but resolved.",
            ),
        ] = None,
        severity: Annotated[
            str | None, typer.Option("--severity", help="Only this severity.")
        ] = None,
        application: Annotated[
            str | None, typer.Option("--application", help="Only this application.")
        ] = None,
    ) -> None:
        """List findings, most severe and most valuable first."""
        with db_session() as session:
            kinds = review.known_kinds(session=session)
        flt = FindingFilter(
            kind=choice(kind, tuple(kinds), "--kind"),
            status=choice(status, STATUSES, "--status"),
            severity=choice(severity, SEVERITY_ORDER, "--severity"),
            application=application,
        )
        with db_session() as session:
            rows, _, _ = review.list_findings(session=session, flt=flt)
        if json_:
            print_json([r.cli_json() for r in rows])
            return
        _print_table(rows)

    def _decide(key: str, status: str, by: str, reason: str | None) -> None:
        with db_session() as session:
            row = review.set_status(session=session, key=key, status=status, by=by, reason=reason)
        typer.echo(f"{row.key}: {row.status}")

    @findings.command("dismiss")
    def dismiss_command(
        key: Annotated[str, typer.Argument(help="The finding's key.")],
        reason: Annotated[str, typer.Option("--reason", help="Why it needs no action.")],
        by: ByOption = "cli",
    ) -> None:
        """Dismiss a finding; it stays dismissed until its facts change."""
        if not reason.strip():
            raise typer.BadParameter("a reason is required", param_hint="--reason")
        _decide(key, DISMISSED, by, reason)

    @findings.command("acknowledge")
    def acknowledge_command(
        key: Annotated[str, typer.Argument(help="The finding's key.")],
        by: ByOption = "cli",
        reason: Annotated[str | None, typer.Option("--reason", help="A note.")] = None,
    ) -> None:
        """Acknowledge a finding (someone is on it)."""
        _decide(key, ACKNOWLEDGED, by, reason)

    @findings.command("reopen")
    def reopen_command(
        key: Annotated[str, typer.Argument(help="The finding's key.")],
        by: ByOption = "cli",
    ) -> None:
        """Reopen an acknowledged or dismissed finding."""
        _decide(key, OPEN, by, None)
