"""The DataFrame shapes the analytics take, and their validation.

The app layer builds these frames from the database; analytics never touch the ORM.
Identifiers stay integers, because finding keys are built from them
(``unused_seat:<account_id>:<product_id>``).

Money columns (``list_price``, ``unit_price``, ``total_cost``) are ``object`` columns
holding ``decimal.Decimal`` (or ``None``): prices are read once per product or contract,
so exact arithmetic costs nothing and no float ever touches a saving. ``int``, ``str``
and ``float`` values are accepted and converted exactly through their decimal text.

Capability columns (``catalog_capabilities``, ``capabilities``) hold either a
``|``-separated string (``"team_chat|video_meetings"``) or a list/tuple/set of strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

#: Timestamps (UTC, timezone-aware once coerced).
DATETIME: Final = "datetime64[ns, UTC]"
#: Calendar dates (naive, midnight).
DATE: Final = "datetime64[ns]"
#: Exact money: Decimal objects or None.
MONEY: Final = "object"

ACCOUNTS: Final[Mapping[str, str]] = {
    "account_id": "int64",
    "connector_id": "Int64",
    "connector_kind": "object",
    "person_id": "Int64",
    "email": "object",
    "status": "object",  # active | suspended | deleted
    "is_guest": "bool",
    "created_at": DATETIME,  # vendor creation time, nullable
    "first_seen_at": DATETIME,
    "last_active_at": DATETIME,  # nullable
    "activity_known": "bool",  # False when the source reports no activity at all
    "removed": "bool",
}

PERSONS: Final[Mapping[str, str]] = {
    "person_id": "int64",
    "email": "object",
    "display_name": "object",
    "department": "object",
    "cost_centre": "object",
    "idp_status": "object",  # active | suspended | deleted | None (no IdP account)
}

ASSIGNMENTS: Final[Mapping[str, str]] = {
    "account_id": "int64",
    "product_id": "int64",
    "assigned_at": DATETIME,
}

PRODUCTS: Final[Mapping[str, str]] = {
    "product_id": "int64",
    "application_id": "int64",
    "external_id": "object",
    "sku": "object",
    "name": "object",
    "seats_purchased": "Int64",
    "seats_consumed": "Int64",
    "list_price": MONEY,  # per seat per month, in list_currency
    "list_currency": "object",
    "catalog_capabilities": "object",
    "is_free": "bool",
}

APPLICATIONS: Final[Mapping[str, str]] = {
    "application_id": "int64",
    "name": "object",
    "vendor": "object",
    "category": "object",
    "catalog_key": "object",
    "is_suite": "bool",
    "capabilities": "object",
}

SUBSCRIPTIONS: Final[Mapping[str, str]] = {
    "subscription_id": "int64",
    "contract_number": "object",
    "vendor": "object",
    "application_id": "Int64",
    "product_id": "Int64",
    # The product as the contract names it (import's ``product`` column), resolved or
    # not: a contract that names a product never stands for its whole application.
    "product_ref": "object",
    "start_date": DATE,
    "end_date": DATE,
    "renewal_date": DATE,
    "auto_renew": "bool",
    "notice_days": "Int64",
    "billing_cycle": "object",
    "seats": "Int64",
    "unit_price": MONEY,
    "total_cost": MONEY,
    "currency": "object",
    "is_trial": "bool",
    "owner_email": "object",
}

#: Every frame the analytics take, by name.
SCHEMAS: Final[Mapping[str, Mapping[str, str]]] = {
    "accounts": ACCOUNTS,
    "persons": PERSONS,
    "assignments": ASSIGNMENTS,
    "products": PRODUCTS,
    "applications": APPLICATIONS,
    "subscriptions": SUBSCRIPTIONS,
}

#: The identifier column of each frame that must be unique.
PRIMARY_KEYS: Final[Mapping[str, str]] = {
    "accounts": "account_id",
    "persons": "person_id",
    "products": "product_id",
    "applications": "application_id",
    "subscriptions": "subscription_id",
}

#: Billing cycles and the months one unit_price covers.
BILLING_CYCLE_MONTHS: Final[Mapping[str, int]] = {
    "monthly": 1,
    "quarterly": 3,
    "annual": 12,
    "biennial": 24,
    "triennial": 36,
}

_EPOCH: Final = date(1970, 1, 1)


class FrameSchemaError(ValueError):
    """A frame handed to the analytics does not have the declared shape."""


def validate_frame(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """Check a frame has its declared columns and coerce them to the declared dtypes.

    Extra columns are kept. Booleans with nulls become False; timestamps become UTC;
    dates become midnight timestamps.

    Args:
        name: One of ``SCHEMAS`` (``"accounts"``, ``"products"``...).
        df: The frame to check.

    Returns:
        The frame with declared columns in their declared dtypes (a new frame).

    Raises:
        FrameSchemaError: The name is unknown, a column is missing, or a value cannot
            be read as its declared type; the message names the frame and column.
    """
    schema = SCHEMAS.get(name)
    if schema is None:
        raise FrameSchemaError(f"unknown frame {name!r}; expected one of {sorted(SCHEMAS)}")
    if not isinstance(df, pd.DataFrame):
        raise FrameSchemaError(f"{name} frame must be a pandas DataFrame, got {type(df).__name__}")
    missing = [column for column in schema if column not in df.columns]
    if missing:
        raise FrameSchemaError(
            f"{name} frame is missing column(s): {', '.join(missing)} "
            f"(declared columns: {', '.join(schema)})"
        )
    out = df.copy(deep=False)
    for column, dtype in schema.items():
        try:
            out[column] = _coerce(out[column], dtype)
        except (TypeError, ValueError, OverflowError) as exc:
            raise FrameSchemaError(
                f"{name} frame column {column!r} cannot be read as {dtype}: {exc}"
            ) from exc
    key = PRIMARY_KEYS.get(name)
    if key is not None and not out[key].is_unique:
        repeated = sorted(set(out.loc[out[key].duplicated(), key].head(5).tolist()))
        raise FrameSchemaError(
            f"{name} frame repeats {key} {', '.join(map(str, repeated))}; each must be unique"
        )
    if name == "subscriptions":
        _check_billing_cycles(out)
    if name == "accounts":
        _check_account_status(out)
    return out


def empty_frame(name: str) -> pd.DataFrame:
    """Return an empty frame with the declared columns and dtypes of ``name``."""
    schema = SCHEMAS.get(name)
    if schema is None:
        raise FrameSchemaError(f"unknown frame {name!r}; expected one of {sorted(SCHEMAS)}")
    return pd.DataFrame({c: pd.Series([], dtype=_empty_dtype(t)) for c, t in schema.items()})


@dataclass(frozen=True)
class Frames:
    """The six frames one analysis runs over, validated and coerced on construction."""

    accounts: pd.DataFrame
    persons: pd.DataFrame
    assignments: pd.DataFrame
    products: pd.DataFrame
    applications: pd.DataFrame
    subscriptions: pd.DataFrame

    def __post_init__(self) -> None:
        for name in SCHEMAS:
            object.__setattr__(self, name, validate_frame(name, getattr(self, name)))


def day_number(day: date) -> int:
    """Return the days since 1970-01-01 of a date (the unit all date rules compare in)."""
    return (day - _EPOCH).days


def day_numbers(values: pd.Series) -> npt.NDArray[np.float64]:
    """Return the UTC calendar day of each timestamp as days since 1970-01-01 (NaN if null)."""
    if len(values) == 0:
        return np.empty(0, dtype=np.float64)
    series = values
    if not isinstance(series.dtype, pd.DatetimeTZDtype) and not pd.api.types.is_datetime64_dtype(
        series.dtype
    ):
        series = pd.to_datetime(series, utc=True)
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    raw = series.to_numpy(dtype="datetime64[ns]")
    days = raw.astype("datetime64[D]").astype(np.int64).astype(np.float64)
    days[np.isnat(raw)] = np.nan
    return days


def day_to_iso(day: float | None) -> str | None:
    """Return the ISO date of a day number (None for NaN/None)."""
    if day is None or day != day:
        return None
    return str(np.datetime64(int(day), "D"))


def capability_set(value: Any) -> frozenset[str]:
    """Return the normalised capabilities of a ``|``-separated string or a collection."""
    if value is None or value is pd.NA:
        return frozenset()
    if isinstance(value, float):
        return frozenset()
    items: list[Any]
    if isinstance(value, str):
        items = value.split("|")
    elif isinstance(value, (list, tuple, set, frozenset, np.ndarray)):
        items = list(value)
    else:
        raise FrameSchemaError(
            f"capabilities must be a '|'-separated string or a list, got {value!r}"
        )
    return frozenset(str(item).strip().lower() for item in items if str(item).strip())


def _empty_dtype(dtype: str) -> Any:
    if dtype == DATETIME:
        return pd.DatetimeTZDtype("ns", "UTC")
    return dtype


def _coerce(series: pd.Series, dtype: str) -> pd.Series:
    if dtype == DATETIME:
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            converted: pd.Series = series.dt.tz_convert("UTC")
            return converted
        return pd.Series(pd.to_datetime(series, utc=True), index=series.index, name=series.name)
    if dtype == DATE:
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            series = series.dt.tz_convert("UTC").dt.tz_localize(None)
        return pd.to_datetime(series).dt.normalize()
    if dtype == "bool":
        if series.dtype == bool:
            return series
        return series.astype("boolean").fillna(False).astype(bool)
    if dtype in ("int64", "Int64"):
        if series.dtype == dtype:
            return series
        converted = series.astype("Int64")
        if dtype == "int64":
            if converted.isna().any():
                raise ValueError("identifier must not be null")
            return converted.astype("int64")
        return converted
    # object columns (text, money, capabilities) keep their values; NaN-like nulls → None,
    # so evidence stays valid JSON.
    nulls = series.isna()
    if series.dtype != object:
        series = series.astype(object)
    elif not bool(nulls.any()):
        return series
    return series.where(~nulls, None)


def _check_billing_cycles(subscriptions: pd.DataFrame) -> None:
    cycles = subscriptions["billing_cycle"]
    known = cycles.isna() | cycles.map(lambda c: str(c).strip().lower() in BILLING_CYCLE_MONTHS)
    if not bool(known.all()):
        bad = subscriptions.loc[~known, ["contract_number", "billing_cycle"]].head(5)
        listed = ", ".join(f"{n!r}: {c!r}" for n, c in bad.itertuples(index=False))
        raise FrameSchemaError(
            f"subscriptions frame has unknown billing_cycle ({listed}); "
            f"expected one of {', '.join(BILLING_CYCLE_MONTHS)}"
        )


def _check_account_status(accounts: pd.DataFrame) -> None:
    status = accounts["status"]
    ok = status.isin(["active", "suspended", "deleted"])
    if not bool(ok.all()):
        bad = sorted({str(s) for s in status[~ok].head(5)})
        raise FrameSchemaError(
            f"accounts frame has unknown status {', '.join(bad)}; "
            "expected active, suspended or deleted"
        )
