"""The contracts file: its columns, the rules a row must meet, and the typed rows (no DB).

Columns (header row, any order; see :mod:`app.inventory.import_cells` for how cells read):

``contract_number, vendor, application, product, start_date, end_date, renewal_date,
auto_renew, notice_days, billing_cycle, seats, unit_price, total_cost, currency,
owner_email, cost_centre, department, is_trial, notes``

Decisions, each made so a contract is never half-understood:

* Required (column present and filled): ``contract_number``, ``vendor``,
  ``application``, ``start_date``, ``currency``. A contract that is not a trial must
  also give ``unit_price`` or ``total_cost`` (a paid contract without a price would
  make every saving figure unknown); trials may be free.
* ``billing_cycle`` is monthly | quarterly | annual | biennial | triennial, and
  ``annual`` when empty (the usual SaaS term). ``unit_price`` is one seat for one
  cycle; ``total_cost`` is all seats for one cycle.
* ``renewal_date``, when empty, is the day after ``end_date`` (the first day the
  contract would need renewing), whether or not it auto-renews; with neither date it
  stays empty. ``notice_days`` is 0 when empty; ``auto_renew`` and ``is_trial`` are
  false when empty.
* ``end_date`` and ``renewal_date`` may not fall before ``start_date``.
* A contract number may appear once per vendor in a file (the pair is the contract's
  key: a second row would silently overwrite the first).
* Each row records which columns its file had (``columns``): updating a stored
  contract changes only what the file states, so a file of contract numbers and seats
  does not wipe renewal dates, owners or notice periods it never mentioned. An empty
  cell in a column the file has still clears (or defaults) that value.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from app.inventory.import_cells import (
    ColumnSpec,
    duplicate_problems,
    map_rows,
    present_columns,
)
from app.inventory.import_files import ImportRefused, RowProblem, read_table

BILLING_CYCLES = ("monthly", "quarterly", "annual", "biennial", "triennial")
DEFAULT_BILLING_CYCLE = "annual"
WHAT = "contracts"

CONTRACT_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("contract_number", required=True, max_length=200),
    ColumnSpec("vendor", required=True, max_length=200),
    ColumnSpec("application", required=True, max_length=200),
    ColumnSpec("product", max_length=300),
    ColumnSpec("start_date", "date", required=True),
    ColumnSpec("end_date", "date"),
    ColumnSpec("renewal_date", "date"),
    ColumnSpec("auto_renew", "bool"),
    ColumnSpec("notice_days", "count"),
    ColumnSpec("billing_cycle", choices=BILLING_CYCLES),
    ColumnSpec("seats", "count"),
    ColumnSpec("unit_price", "money"),
    ColumnSpec("total_cost", "money"),
    ColumnSpec("currency", "currency", required=True),
    ColumnSpec("owner_email", "email", max_length=320),
    ColumnSpec("cost_centre", max_length=100),
    ColumnSpec("department", max_length=100),
    ColumnSpec("is_trial", "bool"),
    ColumnSpec("notes", max_length=10_000, multiline=True),
)
CONTRACT_COLUMN_NAMES = tuple(c.name for c in CONTRACT_COLUMNS)


class ContractRow(BaseModel):
    """One validated contract row, defaults applied."""

    model_config = ConfigDict(frozen=True)

    row: int
    contract_number: str
    vendor: str
    application: str
    product: str | None = None
    start_date: date
    end_date: date | None = None
    renewal_date: date | None = None
    auto_renew: bool = False
    notice_days: int = 0
    billing_cycle: str = DEFAULT_BILLING_CYCLE
    seats: int | None = None
    unit_price: Decimal | None = None
    total_cost: Decimal | None = None
    currency: str
    owner_email: str | None = None
    cost_centre: str | None = None
    department: str | None = None
    is_trial: bool = False
    notes: str | None = None
    columns: frozenset[str] = frozenset(CONTRACT_COLUMN_NAMES)


def parse_contracts(data: bytes, *, decimal_comma: bool = False) -> list[ContractRow]:
    """Read and validate a whole contracts file (CSV or XLSX).

    Raises:
        ImportRefused: Any problem in any row; it lists them all.
    """
    table = read_table(data, what=WHAT, columns=CONTRACT_COLUMN_NAMES)
    rows, problems = map_rows(table, CONTRACT_COLUMNS, what=WHAT, decimal_comma=decimal_comma)
    columns = present_columns(table, CONTRACT_COLUMNS)
    contracts: list[ContractRow] = []
    bad_cells: dict[int | None, set[str | None]] = {}
    for problem in problems:
        bad_cells.setdefault(problem.row, set()).add(problem.column)
    for number, values in rows:
        rule_problems = _row_rules(number, values, bad_cells.get(number, set()))
        problems.extend(rule_problems)
        if rule_problems or number in bad_cells:
            continue
        contracts.append(_build(number, values, columns))
    keyed = [
        (number, (str(values["vendor"]), str(values["contract_number"])))
        for number, values in rows
        if values["vendor"] and values["contract_number"]
    ]
    problems.extend(duplicate_problems(keyed, column="contract_number", label="contract number"))
    if not rows and not problems:
        problems.append(RowProblem(None, None, "the file has a header but no contract rows"))
    if problems:
        raise ImportRefused(WHAT, sorted(problems, key=_order))
    return contracts


def _order(problem: RowProblem) -> tuple[int, int]:
    column = problem.column or ""
    index = CONTRACT_COLUMN_NAMES.index(column) if column in CONTRACT_COLUMN_NAMES else -1
    return (problem.row or 0, index)


def _row_rules(number: int, v: dict[str, Any], bad_columns: set[str | None]) -> list[RowProblem]:
    problems: list[RowProblem] = []
    start: date | None = v["start_date"]
    for name in ("end_date", "renewal_date"):
        other: date | None = v[name]
        if start is not None and other is not None and other < start:
            problems.append(
                RowProblem(number, name, f"{other.isoformat()} is before start_date {start}")
            )
    unpriced = v["unit_price"] is None and v["total_cost"] is None
    if (
        unpriced
        and not v["is_trial"]
        and not bad_columns & {"unit_price", "total_cost", "is_trial"}
    ):
        problems.append(
            RowProblem(
                number, "unit_price", "give unit_price or total_cost (only trials may be unpriced)"
            )
        )
    return problems


def _build(number: int, v: dict[str, Any], columns: frozenset[str]) -> ContractRow:
    renewal: date | None = v["renewal_date"]
    end: date | None = v["end_date"]
    if renewal is None and end is not None:
        renewal = end + timedelta(days=1)
    return ContractRow(
        row=number,
        contract_number=v["contract_number"],
        vendor=v["vendor"],
        application=v["application"],
        product=v["product"],
        start_date=v["start_date"],
        end_date=end,
        renewal_date=renewal,
        auto_renew=bool(v["auto_renew"]),
        notice_days=v["notice_days"] if v["notice_days"] is not None else 0,
        billing_cycle=v["billing_cycle"] or DEFAULT_BILLING_CYCLE,
        seats=v["seats"],
        unit_price=v["unit_price"],
        total_cost=v["total_cost"],
        currency=v["currency"],
        owner_email=v["owner_email"],
        cost_centre=v["cost_centre"],
        department=v["department"],
        is_trial=bool(v["is_trial"]),
        notes=v["notes"],
        columns=columns,
    )
