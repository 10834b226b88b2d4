"""`seatwise fx`, `seatwise report` and `seatwise budget`: finance's commands."""

from __future__ import annotations

import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer

from analytics.spend import parse_month
from app.core.cli_runtime import db_session, parse_day, print_json, state
from app.core.errors import InvalidInputError
from app.spend import budgets as budget_service
from app.spend import export, fx, service
from app.spend import forecast_service as forecasting

ByOption = Annotated[
    list[str] | None,
    typer.Option(
        "--by",
        help="Grouping: app|vendor|category|department|cost_centre|person (repeat or comma-list).",
    ),
]
FormatOption = Annotated[str, typer.Option("--format", help="json | csv | xlsx.")]
OutOption = Annotated[
    Path | None, typer.Option("--out", help="Write to this file (default: stdout; xlsx: a file).")
]
CurrencyOption = Annotated[
    str | None, typer.Option("--currency", help="Report currency (default REPORTING_CURRENCY).")
]
TodayOption = Annotated[
    str | None, typer.Option("--today", help="Pretend today is YYYY-MM-DD.", hidden=True)
]


def _usage(exc: InvalidInputError, hint: str) -> typer.BadParameter:
    return typer.BadParameter(str(exc), param_hint=hint)


def _today(value: str | None, hint: str = "--today") -> date:
    """The day given (bounded as every day option is: :func:`parse_day`), else today."""
    if value is None:
        return datetime.now(state.settings.tz).date()
    return parse_day(value, hint)


def _month(value: str, hint: str) -> int:
    try:
        return parse_month(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=hint) from None


def _checked(by: list[str] | None, fmt: str, default_by: str) -> tuple[list[str], str]:
    try:
        groupings = service.check_groupings(by or [default_by])
    except InvalidInputError as exc:
        raise _usage(exc, "--by") from None
    try:
        fmt = export.check_format(fmt)
    except InvalidInputError as exc:
        raise _usage(exc, "--format") from None
    if fmt == "csv" and len(groupings) > 1:
        raise typer.BadParameter(
            "a CSV holds one table: ask for one --by grouping, or use --format xlsx",
            param_hint="--by",
        )
    return groupings, fmt


def _emit(
    reports: list[service.SpendReport], fmt: str, out: Path | None, notes: list[str]
) -> Path | None:
    if out is None and fmt == "xlsx":
        r = reports[0]
        out = Path(f"{r.kind}-{'-'.join(x.by for x in reports)}-{r.months[0]}-{r.months[-1]}.xlsx")
    if out is None:
        sys.stdout.write(export.render(reports, fmt, notes).decode("utf-8"))
        return None
    export.write_atomic(out, lambda: export.render(reports, fmt, notes))
    typer.echo(f"wrote {out}")
    return out


def register(app: typer.Typer) -> None:
    """Add the `fx`, `report` and `budget` groups."""
    fx_app = typer.Typer(help="FX rates reports convert with.", no_args_is_help=True)
    report_app = typer.Typer(help="Spend, savings and forecast reports.", no_args_is_help=True)
    budget_app = typer.Typer(help="Yearly budgets per department or cost centre.")
    app.add_typer(fx_app, name="fx")
    app.add_typer(report_app, name="report")
    app.add_typer(budget_app, name="budget", no_args_is_help=True)

    @fx_app.command("set")
    def fx_set(
        base: Annotated[str, typer.Argument(help="Base currency (1 BASE = RATE QUOTE).")],
        quote: Annotated[str, typer.Argument(help="Quote currency.")],
        rate: Annotated[str, typer.Argument(help="How many QUOTE one BASE buys.")],
        day: Annotated[
            str | None, typer.Option("--date", help="YYYY-MM-DD (default today).")
        ] = None,
    ) -> None:
        """Store an FX rate: `seatwise fx set EUR USD 1.08 --date 2026-11-01`."""
        when = _today(day, "--date")
        try:
            base_c, quote_c = fx.normalise_currency(base), fx.normalise_currency(quote)
            fx.check_pair(base_c, quote_c)
            value = fx.parse_rate(rate)
        except InvalidInputError as exc:
            raise _usage(exc, "BASE/QUOTE/RATE") from None
        with db_session() as session:
            fx.set_rate(session=session, base=base_c, quote=quote_c, day=when, rate=value)
        typer.echo(f"1 {base_c} = {value} {quote_c} on {when.isoformat()}")

    @fx_app.command("import")
    def fx_import(
        file: Annotated[Path, typer.Argument(help="CSV with columns base,quote,date,rate.")],
    ) -> None:
        """Import FX rates from a CSV file (all or nothing)."""
        with db_session() as session:
            count = fx.import_rates_file(session=session, path=file)
        typer.echo(f"imported {count} rates from {file.name}")

    @fx_app.command("list")
    def fx_list(
        base: Annotated[str | None, typer.Option("--base")] = None,
        quote: Annotated[str | None, typer.Option("--quote")] = None,
        json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """List stored FX rates, newest first."""
        with db_session() as session:
            rows = [
                {"base": r.base, "quote": r.quote, "day": r.day, "rate": r.rate}
                for r in fx.list_rates(session=session, base=base, quote=quote)
            ]
        if json_:
            print_json(rows)
            return
        for r in rows:
            typer.echo(f"{r['day']}  1 {r['base']} = {r['rate']} {r['quote']}")

    @report_app.command("spend")
    def report_spend(
        by: ByOption = None,
        from_: Annotated[str | None, typer.Option("--from", help="First month YYYY-MM.")] = None,
        to: Annotated[str | None, typer.Option("--to", help="Last month YYYY-MM.")] = None,
        fmt: FormatOption = "json",
        out: OutOption = None,
        currency: CurrencyOption = None,
        today: TodayOption = None,
    ) -> None:
        """Spend by a grouping and month (default: this calendar year, by app)."""
        groupings, fmt = _checked(by, fmt, "app")
        year = _today(today).year
        first = _month(from_, "--from") if from_ else year * 12
        last = _month(to, "--to") if to else year * 12 + 11
        try:
            service.check_period(first, last)
        except InvalidInputError as exc:
            raise _usage(exc, "--from/--to") from None
        with db_session() as session:
            reports = service.spend_reports(
                session=session,
                by=groupings,
                first=first,
                last=last,
                currency=currency or state.settings.reporting_currency,
            )
        _emit(reports, fmt, out, [])

    @report_app.command("forecast")
    def report_forecast(
        by: ByOption = None,
        months: Annotated[int, typer.Option("--months", help="Months ahead.")] = 12,
        uplift: Annotated[
            list[str] | None,
            typer.Option("--uplift", help="CONTRACT=PCT renewal uplift, e.g. C-42=5 (or *=3)."),
        ] = None,
        holdout: Annotated[int, typer.Option("--holdout", help="Back-test months.")] = 3,
        fmt: Annotated[str, typer.Option("--format", help="table | json | csv | xlsx.")] = "table",
        out: OutOption = None,
        currency: CurrencyOption = None,
        today: TodayOption = None,
    ) -> None:
        """Forecast spend for the next months; prints the back-test errors (WAPE, MAPE)."""
        table = fmt.strip().lower() == "table"
        groupings, fmt = _checked(by, "json" if table else fmt, "app")
        if not 1 <= months <= forecasting.MAX_HORIZON:
            raise typer.BadParameter(
                f"must be 1..{forecasting.MAX_HORIZON}, got {months}", param_hint="--months"
            )
        if not 0 <= holdout <= 24:
            raise typer.BadParameter(f"must be 0..24, got {holdout}", param_hint="--holdout")
        uplifts = _uplifts(uplift or [])
        with db_session() as session:
            reports, test = forecasting.forecast_reports(
                session=session,
                by=groupings,
                currency=currency or state.settings.reporting_currency,
                today=_today(today),
                horizon=months,
                uplifts=uplifts,
                holdout=holdout,
            )
        if table:
            _print_table(reports[0])
            typer.echo(test.summary())
            return
        written = _emit(reports, fmt, out, [test.summary()])
        typer.echo(test.summary(), err=written is None)

    @report_app.command("savings")
    def report_savings(
        fmt: Annotated[str, typer.Option("--format", help="table | json | csv.")] = "table",
        currency: CurrencyOption = None,
        today: TodayOption = None,
    ) -> None:
        """Monthly savings of open findings by kind and application."""
        fmt = fmt.strip().lower()
        if fmt not in ("table", "json", "csv"):
            raise typer.BadParameter(
                f"unknown format {fmt!r}; valid formats: table, json, csv", param_hint="--format"
            )
        target = currency or state.settings.reporting_currency
        with db_session() as session:
            rows = service.savings_report(session=session, currency=target, today=_today(today))
        data = [r.to_dict() for r in rows]
        if fmt == "json":
            print_json({"currency": fx.normalise_currency(target), "rows": data})
        elif fmt == "csv":
            typer.echo("kind,application,findings,monthly_savings,annual_savings")
            for d in data:
                typer.echo(
                    f'{d["kind"]},"{d["application"]}",{d["findings"]},'
                    f"{d['monthly_savings']},{d['annual_savings']}"
                )
        else:
            for d in data:
                typer.echo(
                    f"{d['kind']:20} {d['application'][:30]:30} {d['findings']:>5} "
                    f"{d['monthly_savings']:>12} {target}/month"
                )
            total = sum((r.monthly_savings for r in rows), Decimal(0))
            typer.echo(f"total: {service.money(total)} {target}/month")

    @budget_app.command("set")
    def budget_set(
        year: Annotated[int, typer.Option("--year", help="Budget year.")],
        amount: Annotated[str, typer.Option("--amount", help="Amount for the year.")],
        currency: Annotated[str, typer.Option("--currency", help="ISO currency.")],
        department: Annotated[str | None, typer.Option("--department")] = None,
        cost_centre: Annotated[str | None, typer.Option("--cost-centre")] = None,
    ) -> None:
        """Set the yearly budget of a department or a cost centre."""
        try:
            value = budget_service.parse_amount(amount)
            budget_service.check_year(year)
            code = fx.normalise_currency(currency)
        except InvalidInputError as exc:
            raise _usage(exc, "--amount/--year/--currency") from None
        if bool(department) == bool(cost_centre):
            raise typer.BadParameter(
                "give exactly one of --department or --cost-centre",
                param_hint="--department/--cost-centre",
            )
        with db_session() as session:
            budget_service.set_budget(
                session=session,
                year=year,
                amount=value,
                currency=code,
                department=department,
                cost_centre=cost_centre,
            )
        typer.echo(f"budget {department or cost_centre} {year}: {value} {code}")

    @budget_app.command("remove")
    def budget_remove(
        year: Annotated[int, typer.Option("--year", help="Budget year.")],
        department: Annotated[str | None, typer.Option("--department")] = None,
        cost_centre: Annotated[str | None, typer.Option("--cost-centre")] = None,
    ) -> None:
        """Remove the budget of a department or a cost centre for a year."""
        if bool(department) == bool(cost_centre):
            raise typer.BadParameter(
                "give exactly one of --department or --cost-centre",
                param_hint="--department/--cost-centre",
            )
        with db_session() as session:
            found = budget_service.find_budget(
                session=session, year=year, department=department, cost_centre=cost_centre
            )
            assert found.id is not None
            budget_service.remove_budget(session=session, budget_id=found.id)
            name = found.department or found.cost_centre
        typer.echo(f"budget {name} {year} removed")

    @budget_app.command("list")
    def budget_list(
        year: Annotated[int | None, typer.Option("--year")] = None,
        json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
        today: TodayOption = None,
    ) -> None:
        """List budgets against actual and forecast spend."""
        if year is not None:
            try:
                budget_service.check_year(year)
            except InvalidInputError as exc:
                raise _usage(exc, "--year") from None
        with db_session() as session:
            rows = budget_service.budget_status(session=session, today=_today(today), year=year)
        data = [r.to_dict() for r in rows]
        if json_:
            print_json(data)
            return
        for d in data:
            flag = "  OVER" if d["over_budget"] else ""
            typer.echo(
                f"{d['year']} {d['scope']:11} {d['name'][:24]:24} budget {d['budget']:>12} "
                f"actual {d['actual']:>12} forecast {d['forecast']:>12} {d['currency']}{flag}"
            )


def _uplifts(items: list[str]) -> dict[str, Decimal]:
    try:
        return forecasting.parse_uplifts(items)
    except InvalidInputError as exc:
        raise typer.BadParameter(str(exc), param_hint="--uplift") from None


def _print_table(report: service.SpendReport) -> None:
    months = report.months
    shown = report.shown
    typer.echo(f"{report.kind} by {report.by} in {report.currency}, {months[0]}..{months[-1]}")
    for label, value in zip(months, shown.totals, strict=True):
        typer.echo(f"  {label}  {value:>14}")
    typer.echo(f"  total    {shown.grand_total:>14}")
