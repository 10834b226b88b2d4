"""`seatwise import contracts|invoices FILE`, `import template`, `subscriptions list`.

A refused file prints every ``row N, column C: problem`` line on stderr, then a line
naming the file (a script importing many files logs which one), and exits 1 with
nothing written (with ``--json``, stdout also holds ``{file, detail, errors: [{row,
column, problem}]}``, the API's shape); an unreadable file exits 1; a bad option exits 2.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from app.core.cli_runtime import db_session, print_json
from app.core.db import retrying_deadlocks
from app.core.errors import InvalidInputError
from app.inventory import contracts as contract_service
from app.inventory.contract_rows import parse_contracts
from app.inventory.import_files import ImportRefused, ImportResult
from app.inventory.import_templates import template_bytes
from app.spend import invoices as invoice_service
from app.spend.invoice_rows import parse_invoices


class TemplateKind(StrEnum):
    """Which import file a template is for."""

    contracts = "contracts"
    invoices = "invoices"


class TemplateFormat(StrEnum):
    """Template file format."""

    csv = "csv"
    xlsx = "xlsx"


FileArg = Annotated[Path, typer.Argument(help="CSV or XLSX file (one sheet).")]
DecimalCommaOpt = Annotated[
    bool, typer.Option("--decimal-comma", help="Amounts are written 1.234,56.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _run_import(
    path: Path, what: str, apply: Callable[[Session, bytes], ImportResult], json_: bool
) -> None:
    data = _read(path)
    try:
        with db_session() as session:
            result = retrying_deadlocks(session, lambda: apply(session, data))
    except ImportRefused as exc:
        if json_:
            # What the API's 422 answer holds, so a script reads one shape either way.
            print_json(
                {
                    "file": str(path),
                    "detail": str(exc),
                    "errors": [problem.as_dict() for problem in exc.problems],
                }
            )
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        typer.echo(f"seatwise: error: {path}: {exc.summary}", err=True)
        raise typer.Exit(1) from None
    if json_:
        print_json(result.as_dict())
        return
    for warning in result.warnings:
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(
        f"{what}: {result.created} created, {result.updated} updated, {result.unchanged} unchanged"
    )


def register(app: typer.Typer) -> None:
    """Add the `import` and `subscriptions` groups."""
    imports = typer.Typer(
        help="Import contracts and invoices from CSV or XLSX.", no_args_is_help=True
    )
    app.add_typer(imports, name="import")
    subscriptions = typer.Typer(help="Contracts (subscriptions).", no_args_is_help=True)
    app.add_typer(subscriptions, name="subscriptions")

    @imports.command("contracts")
    def import_contracts(
        file: FileArg, decimal_comma: DecimalCommaOpt = False, json_: JsonOpt = False
    ) -> None:
        """Import contracts: all rows or none; re-importing the same file changes nothing."""

        def apply(session: Session, data: bytes) -> ImportResult:
            rows = parse_contracts(data, decimal_comma=decimal_comma)
            return contract_service.import_contracts(session=session, rows=rows)

        _run_import(file, "contracts", apply, json_)

    @imports.command("invoices")
    def import_invoices(
        file: FileArg, decimal_comma: DecimalCommaOpt = False, json_: JsonOpt = False
    ) -> None:
        """Import invoices (their contracts must be imported first): all rows or none."""

        def apply(session: Session, data: bytes) -> ImportResult:
            rows = parse_invoices(data, decimal_comma=decimal_comma)
            return invoice_service.import_invoices(session=session, rows=rows)

        _run_import(file, "invoices", apply, json_)

    @imports.command("template")
    def template(
        kind: Annotated[TemplateKind, typer.Argument(help="contracts or invoices.")],
        fmt: Annotated[
            TemplateFormat, typer.Option("--format", help="csv or xlsx.", case_sensitive=False)
        ] = TemplateFormat.csv,
        out: Annotated[
            str | None,
            typer.Option(
                "--out", help="File to write, '-' for stdout (default KIND_template.FORMAT)."
            ),
        ] = None,
    ) -> None:
        """Write an empty import file: the columns and one example row."""
        data = template_bytes(kind.value, fmt.value)
        if out == "-":
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
            return
        target = Path(out or f"{kind.value}_template.{fmt.value}")
        try:
            target.write_bytes(data)
        except OSError as exc:
            raise InvalidInputError(f"cannot write {target}: {exc.strerror or exc}") from exc
        typer.echo(f"wrote {target}")

    @subscriptions.command("list")
    def list_(json_: JsonOpt = False) -> None:
        """List contracts with their renewal and notice deadlines."""
        with db_session() as session:
            items, _ = contract_service.list_subscriptions(session=session)
        if json_:
            print_json([item.model_dump(mode="json") for item in items])
            return
        if not items:
            typer.echo("no contracts; import some with `seatwise import contracts FILE`")
            return
        for s in items:
            price = (
                f"{s.unit_price} per seat"
                if s.unit_price
                else f"{s.total_cost} total"
                if s.total_cost
                else "no price"
            )
            typer.echo(
                f"{s.contract_number:20} {s.vendor:18} {s.application:22} "
                f"renews {s.renewal_date or '-'!s:10}  notice by {s.notice_deadline or '-'!s:10}  "
                f"{s.seats if s.seats is not None else '-'!s:>6} seats  {price} {s.currency}"
                + ("  (trial)" if s.is_trial else "")
            )
