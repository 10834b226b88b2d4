"""`seatwise alerts …`, `seatwise outbox list` and `seatwise notify-settings …`."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from app.core.cli_runtime import db_session, parse_day, print_json, state
from app.core.db import utcnow

if TYPE_CHECKING:
    from app.notify.service import DeliveryReport

STATUSES = ("pending", "sent", "failed")


def parse_as_of(value: str | None) -> date:
    """``--as-of YYYY-MM-DD`` (today in SEATWISE_TIMEZONE when absent); bad dates exit 2."""
    if value is None:
        return datetime.now(state.settings.tz).date()
    return parse_day(value, "--as-of")


AsOf = Annotated[
    str | None,
    typer.Option("--as-of", help="Treat this day (YYYY-MM-DD) as today.", show_default=False),
]
DryRun = Annotated[
    bool, typer.Option("--dry-run", help="Print what would go to whom; queue and send nothing.")
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _print_report(report: object, json_: bool) -> None:
    from app.notify.dispatch import RunReport

    assert isinstance(report, RunReport)
    if json_:
        print_json(report.as_dict())
        _exit_on_delivery_problems(report.delivery)
        return
    for line in report.planned:
        if report.dry_run:
            mark = "would send" if line.queued else "already queued"
        else:
            mark = "queued" if line.queued else "already queued"
        typer.echo(f"{mark:14} {line.kind:12} to {line.recipient}: {line.subject}")
    typer.echo(report.summary())
    _exit_on_delivery_problems(report.delivery)


def _exit_on_delivery_problems(delivery: DeliveryReport | None) -> None:
    """Name each e-mail this run could not deliver, then exit 1 (see ``problem``)."""
    problem = delivery.problem() if delivery is not None else None
    if delivery is None or problem is None:
        return
    for error in delivery.errors or []:
        typer.echo(f"delivery problem: {error}", err=True)
    typer.echo(f"{problem}; see `seatwise outbox list`", err=True)
    raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the `alerts`, `outbox` and `notify-settings` groups."""
    alerts = typer.Typer(help="Renewal, trial and seat alerts; digest; spend report.")
    outbox = typer.Typer(help="The e-mail outbox.", no_args_is_help=True)
    app.add_typer(alerts, name="alerts", no_args_is_help=True)
    app.add_typer(outbox, name="outbox")
    _register_notify_settings(app)

    @alerts.command("send")
    def send(dry_run: DryRun = False, as_of: AsOf = None, json_: Json = False) -> None:
        """Queue today's renewal, escalation, trial and free-seat alerts, then deliver."""
        from app.notify.dispatch import run_alerts

        day = parse_as_of(as_of)
        report = run_alerts(
            engine=state.engine, settings=state.settings, as_of=day, dry_run=dry_run
        )
        _print_report(report, json_)

    @alerts.command("digest")
    def digest(dry_run: DryRun = False, json_: Json = False) -> None:
        """Queue and deliver the findings digest (once per ISO week and recipient)."""
        from app.notify.dispatch import run_digest

        report = run_digest(
            engine=state.engine, settings=state.settings, now=utcnow(), dry_run=dry_run
        )
        _print_report(report, json_)

    @alerts.command("spend-report")
    def spend_report(dry_run: DryRun = False, as_of: AsOf = None, json_: Json = False) -> None:
        """Queue and deliver last month's spend report (XLSX) to finance."""
        from app.notify.dispatch import run_spend_report

        report = run_spend_report(
            engine=state.engine,
            settings=state.settings,
            as_of=parse_as_of(as_of),
            dry_run=dry_run,
        )
        _print_report(report, json_)

    @alerts.command("deliver")
    def deliver() -> None:
        """Send due outbox rows now (retries included)."""
        from app.notify.service import deliver_due

        report = deliver_due(engine=state.engine, settings=state.settings)
        typer.echo(f"sent {report.sent}, retrying {report.retrying}, given up {report.given_up}")
        _exit_on_delivery_problems(report)

    @alerts.command("threshold")
    def threshold(
        product: Annotated[str, typer.Argument(help="Product id, name, SKU or external id.")],
        seats: Annotated[
            int | None,
            typer.Argument(help="Alert when free seats fall below this.", show_default=False),
        ] = None,
        clear: Annotated[
            bool, typer.Option("--clear", help="Use SEATWISE_FREE_SEATS_THRESHOLD again.")
        ] = False,
    ) -> None:
        """Set a product's own free-seat threshold (or clear it)."""
        from app.notify.seat_alerts import find_product, set_threshold

        if (seats is None) == (not clear):
            raise typer.BadParameter("give a number of seats or --clear (not both)")
        if seats is not None and seats < 0:
            raise typer.BadParameter(f"seats must be 0 or more, got {seats}")
        with db_session() as session:
            row = find_product(session=session, ref=product)
            assert row.id is not None
            set_threshold(session=session, product_id=row.id, threshold=seats)
            name = row.name
        shown = "the global setting" if seats is None else f"{seats} free seat(s)"
        typer.echo(f"free-seat threshold of {name}: {shown}")

    @outbox.command("list")
    def list_(
        json_: Json = False,
        status: Annotated[
            str | None, typer.Option(help="Only rows with this status: pending|sent|failed.")
        ] = None,
        limit: Annotated[int, typer.Option(min=1, help="How many rows.")] = 200,
    ) -> None:
        """Outbox rows, newest first: recipient, subject, status, attempts, last error."""
        from app.notify.service import list_outbox

        if status is not None and status not in STATUSES:
            raise typer.BadParameter(
                f"unknown status {status!r}; expected one of {', '.join(STATUSES)}",
                param_hint="--status",
            )
        with db_session() as session:
            rows = list_outbox(session=session, status=status, limit=limit)
            data = [
                r.model_dump(exclude={"body_text", "body_html", "attachments", "claimed_by"})
                | {"attachments": [a.get("filename") for a in r.attachments]}
                for r in rows
            ]
        if json_:
            print_json(data)
            return
        for r in data:
            when = r["sent_at"] or r["created_at"]
            line = (
                f"{when:%Y-%m-%d %H:%M}  {r['status']:8} {r['attempts']:>2}x  "
                f"{r['kind']:12} {r['recipient']}: {r['subject']}"
            )
            if r["error"]:
                line += f"  [{r['error']}]"
            typer.echo(line)


SettingKey = Annotated[
    str, typer.Argument(help="The setting, e.g. procurement_emails (see `notify-settings show`).")
]


def _register_notify_settings(app: typer.Typer) -> None:
    group = typer.Typer(
        help="Notification recipients, schedules and thresholds (as on the Settings page).",
        no_args_is_help=True,
    )
    app.add_typer(group, name="notify-settings")

    @group.command("show")
    def show(json_: Json = False) -> None:
        """Each setting's value in effect and whether it is overridden or the default."""
        from app.notify.notification_settings import list_notification_settings

        with db_session() as session:
            views = list_notification_settings(session=session, settings=state.settings)
        if json_:
            print_json([vars(v) for v in views])
            return
        for v in views:
            source = f"set by {v.updated_by}" if v.source == "override" else "default"
            typer.echo(f"{v.key:22} {v.text or '(none)':40} [{source}]")

    @group.command("set")
    def set_(
        key: SettingKey,
        value: Annotated[
            str, typer.Argument(help="As in .env: lists comma-separated; '' = no threshold.")
        ],
    ) -> None:
        """Override a setting (validated as the environment is)."""
        from app.notify.notification_settings import (
            list_notification_settings,
            update_notification_settings,
        )

        with db_session() as session:
            changed = update_notification_settings(
                session=session, settings=state.settings, values={key: value}, actor="cli"
            )
            views = list_notification_settings(session=session, settings=state.settings)
        shown = next(v.text for v in views if v.key == key) or "(none)"
        typer.echo(f"{key}: {shown}" if changed else f"{key} already is {shown}; nothing changed")

    @group.command("reset")
    def reset(key: SettingKey) -> None:
        """Drop an override: the environment default applies again."""
        from app.notify.notification_settings import reset_notification_setting

        with db_session() as session:
            dropped = reset_notification_setting(
                session=session, settings=state.settings, key=key, actor="cli"
            )
        typer.echo(f"{key}: back to the default" if dropped else f"{key} was not overridden")
