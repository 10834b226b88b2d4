"""Allocation: who a contract's monthly cost belongs to.

For ``app``, ``vendor`` and ``category`` a line belongs whole to its contract's value.
For ``department``, ``cost_centre`` and ``person`` a contract's cost in a month is
shared by the seats of its product held at the end of that month: a seat is held from
the month of ``assigned_at`` (always, when unknown) until the month of ``removed_at``
(excluded). Each holder weighs one seat; the contract's unassigned seats
(``seats`` bought minus seats held, when positive) weigh towards "Unallocated"; with no
seat held, or no product to look at, the whole cost is "Unallocated". A contract with
its own ``cost_centre`` (or ``department``) is charged there whole for that grouping.
A holder's department and cost centre come from their person (identity provider or
people list; the account's department when the person has none); a holder without one
is "Unallocated". A holder's ``person`` key is their e-mail (person's, else account's);
an account with neither — a Slack member without an address — is named by the vendor:
"Isaac Moreau (slack U001A2B007)" (display name, connector, external id), or
"U001A2B007 (slack)" without a display name; the pair is unique, so namesakes never
merge into one row, and the database's row ids never show. Shares are whole cents by
the largest-remainder method, ties broken by name (``analytics.spend.allocate_cents``),
so they sum exactly to the line.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any, Final

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, col

from analytics.spend import allocate_cents
from app.people.models import Account, Assignment, Person
from app.spend.spend_lines import UNALLOCATED
from app.sync.models import ConnectorConfig

GROUPINGS: Final = ("app", "vendor", "category", "department", "cost_centre", "person")
_LINE_KEY: Final = {"app": "application", "vendor": "vendor", "category": "category"}
_SEAT_GROUPINGS: Final = ("department", "cost_centre", "person")


def _month_start(index: int) -> datetime:
    year, month0 = divmod(index, 12)
    return datetime(year, month0 + 1, 1, tzinfo=UTC)


def _month_expr(column: Any, dialect: str, missing: int) -> Any:
    """SQL: the UTC month index of a timestamp column (``missing`` when null)."""
    if dialect == "sqlite":  # stored as UTC text 'YYYY-MM-DD HH:MM:SS'
        year = sa.cast(sa.func.substr(column, 1, 4), sa.Integer)
        month = sa.cast(sa.func.substr(column, 6, 2), sa.Integer)
    else:
        utc = sa.func.timezone("UTC", column)
        year = sa.cast(sa.extract("year", utc), sa.Integer)
        month = sa.cast(sa.extract("month", utc), sa.Integer)
    return sa.func.coalesce(year * 12 + month - 1, missing)


def _account_label() -> Any:
    """SQL: how an account without an e-mail is named in reports (see the module)."""
    name = sa.func.nullif(sa.func.trim(col(Account.display_name)), "")
    source, external = col(ConnectorConfig.name), col(Account.external_id)
    return sa.case(
        (name.is_not(None), name + " (" + source + " " + external + ")"),
        else_=external + " (" + source + ")",
    )


def load_holders(
    *, session: Session, by: str, lo: int, hi: int, product_ids: Collection[int] | None = None
) -> pd.DataFrame:
    """Count seats per product, holder key and held months (within ``lo..hi``).

    Args:
        product_ids: Only the seats of these products (None: of every product).

    Returns:
        ``product_id, key, start, end, n``: ``n`` seats of the product whose holder's
        ``by`` value is ``key`` are held at the end of months ``start .. end - 1``.
    """
    assigned, removed = col(Assignment.assigned_at), col(Assignment.removed_at)
    if by == "person":
        key: Any = sa.func.coalesce(
            col(Person.email), sa.func.nullif(col(Account.email), ""), _account_label()
        )
    elif by == "department":
        key = sa.func.coalesce(
            sa.func.nullif(col(Person.department), ""),
            sa.func.nullif(col(Account.department), ""),
            UNALLOCATED,
        )
    else:
        key = sa.func.coalesce(sa.func.nullif(col(Person.cost_centre), ""), UNALLOCATED)
    dialect = session.get_bind().dialect.name
    start = _month_expr(assigned, dialect, lo)
    end = _month_expr(removed, dialect, hi + 1)
    query = (
        sa.select(col(Assignment.product_id), key, start, end)
        .join(Account, col(Account.id) == col(Assignment.account_id))
        .outerjoin(Person, col(Person.id) == col(Account.person_id))
        .where(
            sa.or_(assigned.is_(None), assigned < _month_start(hi + 1)),
            sa.or_(removed.is_(None), removed >= _month_start(lo + 1)),
        )
    )
    if product_ids is not None:
        product: Any = col(Assignment.product_id)
        if dialect == "sqlite":
            # "+ 0" keeps SQLite reading the table in order: through the product index it
            # reads those rows at random, slower than reading them all (4.2 s against 2.4 s
            # for 590,000 of 1.1 million seats).
            product = product + 0
        query = query.where(product.in_(sorted(product_ids)))
    if by == "person":
        query = query.join(ConnectorConfig, col(ConnectorConfig.id) == col(Account.connector_id))
    # Grouped here, not in SQL: SQLite's GROUP BY over text keys is far slower than pandas.
    names = ["product_id", "key", "start", "end"]
    columns = list(zip(*session.connection().execute(query).fetchall(), strict=True)) or [()] * 4
    seats = pd.DataFrame(
        {
            name: np.array(values, dtype=object if name == "key" else np.int64)
            for name, values in zip(names, columns, strict=True)
        }
    )
    # A seat assigned before the period is held from its start; removed after, to its end.
    seats["start"] = seats["start"].clip(lo, hi + 1)
    seats["end"] = seats["end"].clip(lo, hi + 1)
    sizes = seats.groupby(["product_id", "key", "start", "end"], sort=False).size()
    return sizes.rename("n").reset_index()


def assign_keys(lines: pd.DataFrame, by: str, session: Session | None) -> pd.DataFrame:
    """Return ``key, month, cents, currency, rate_day`` rows: the lines split by ``by``.

    Args:
        lines: Spend lines (``app.spend.spend_lines.LINE_COLUMNS``).
        by: One of ``GROUPINGS``.
        session: Reads the seat holders (seat groupings; None: all "Unallocated").
    """
    out_columns = ["key", "month", "cents", "currency", "rate_day"]
    if by in _LINE_KEY:
        return lines.rename(columns={_LINE_KEY[by]: "key"})[out_columns]
    if by not in _SEAT_GROUPINGS:
        raise ValueError(f"unknown grouping {by!r}")
    own = lines[by] if by != "person" else pd.Series(None, index=lines.index, dtype=object)
    has_own = own.notna() & (own != "")
    direct = lines[has_own].assign(key=own[has_own])[out_columns]
    rest = lines[~has_own].reset_index(drop=True)
    if session is None or rest.empty:
        shared = rest.assign(key=UNALLOCATED)[out_columns]
    else:
        lo, hi = int(rest["alloc_month"].min()), int(rest["alloc_month"].max())
        # Only the seats of the lines' products can share a line: a tenant's free and
        # uncontracted SKUs (often half its seats) are not even read.
        products = {int(p) for p in rest["product_id"].dropna().tolist()}
        holders = load_holders(session=session, by=by, lo=lo, hi=hi, product_ids=products)
        shared = _share_by_seats(rest, holders, lo, hi)
    return pd.concat([direct, shared], ignore_index=True)


def _share_by_seats(lines: pd.DataFrame, holders: pd.DataFrame, lo: int, hi: int) -> pd.DataFrame:
    """Split each line over the seat holders of its product at the end of its month."""
    span = hi - lo + 1
    seats = holders[holders["product_id"].isin(set(lines["product_id"].tolist()))]
    pairs = seats[["product_id", "key"]].drop_duplicates().reset_index(drop=True)
    pairs["pair"] = np.arange(len(pairs), dtype=np.int64)
    seats = seats.merge(pairs, on=["product_id", "key"], how="left")
    start = seats["start"].to_numpy(np.int64) - lo
    end = seats["end"].to_numpy(np.int64) - lo
    n = seats["n"].to_numpy(np.int64)
    valid = start < end
    diff = np.zeros((len(pairs), span + 1), dtype=np.int64)
    pair_ids = seats["pair"].to_numpy(np.int64)
    np.add.at(diff, (pair_ids[valid], start[valid]), n[valid])
    np.add.at(diff, (pair_ids[valid], end[valid]), -n[valid])
    counts = np.cumsum(diff[:, :span], axis=1)
    names = sorted({*pairs["key"].tolist(), UNALLOCATED})
    code_of = {name: i for i, name in enumerate(names)}
    pair_code = np.array([code_of[k] for k in pairs["key"].tolist()], dtype=np.int64)

    lines = lines.reset_index(drop=True)
    line_ids = np.arange(len(lines), dtype=np.int64)
    parts = pd.DataFrame(
        {"line": line_ids, "product_id": lines["product_id"], "m": lines["alloc_month"] - lo}
    ).merge(pairs[["product_id", "pair"]], on="product_id")
    part_pair = parts["pair"].to_numpy(np.int64)
    weight = counts[part_pair, parts["m"].to_numpy(np.int64)]
    held_mask = weight > 0
    part_line = parts["line"].to_numpy(np.int64)[held_mask]
    part_code = pair_code[part_pair[held_mask]]
    weight = weight[held_mask]
    held = np.bincount(part_line, weights=weight, minlength=len(lines)).astype(np.int64)
    bought = lines["seats"].to_numpy(np.int64)
    spare = np.where(held == 0, 1, np.where(bought > held, bought - held, 0))
    spare_lines = np.nonzero(spare > 0)[0]
    part_line = np.concatenate([part_line, spare_lines])
    part_code = np.concatenate(
        [part_code, np.full(len(spare_lines), code_of[UNALLOCATED], dtype=np.int64)]
    )
    weights = np.concatenate([weight, spare[spare_lines]])
    # One part per line and key: holders without a department and unassigned seats are
    # both "Unallocated", and rounding them as two parts could move a cent to another key.
    merged, inverse = np.unique(part_line * len(names) + part_code, return_inverse=True)
    weights = np.bincount(inverse, weights=weights).astype(np.int64)
    part_line, part_code = merged // len(names), merged % len(names)
    cents = allocate_cents(lines["cents"].to_numpy(np.int64), part_line, weights, part_code)
    # Sum the parts per key and line class (month, currency, rate day) before leaving numpy.
    classes = lines[["month", "currency", "rate_day"]].drop_duplicates().reset_index(drop=True)
    classes["cls"] = np.arange(len(classes), dtype=np.int64)
    line_cls = lines.merge(classes, on=["month", "currency", "rate_day"], how="left")["cls"]
    combined = part_code * len(classes) + line_cls.to_numpy(np.int64)[part_line]
    sums = pd.Series(cents).groupby(combined).sum()
    index = sums.index.to_numpy(np.int64)
    chosen = classes.iloc[index % len(classes)].reset_index(drop=True)
    return pd.DataFrame(
        {
            "key": np.array(names, dtype=object)[index // len(classes)],
            "month": chosen["month"].to_numpy(np.int64),
            "cents": sums.to_numpy(np.int64),
            "currency": chosen["currency"].to_numpy(object),
            "rate_day": chosen["rate_day"].to_numpy(object),
        }
    )
