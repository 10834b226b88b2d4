"""FX rates: storing them, importing them, and converting report amounts with them.

A stored row says ``1 base = rate quote`` on ``day``. Converting an amount from ``A``
to ``B`` on a date uses the rate ``A→B`` stored on that date or the most recent one
before it, at most ``LOOKBACK_DAYS`` earlier; when only ``B→A`` is stored, its inverse
is used (the same quote seen from the other side). Anything else — no rate, or only
one older than the look-back — is an error naming the pair and the date: a report
never guesses a rate.
"""

from __future__ import annotations

import bisect
import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.core.db import inexact
from app.core.errors import InvalidInputError, SeatwiseError
from app.spend.models import FxRate

#: How old a rate may be and still convert an amount (a year: one budget rate a year works).
LOOKBACK_DAYS = 366
_CURRENCY_RE = re.compile(r"^[A-Z]{3}$")


class MissingFxRateError(SeatwiseError):
    """A report needs a rate that is not stored."""

    status_code = 422
    title = "Missing FX rate"

    def __init__(self, base: str, quote: str, day: date, stale: date | None = None) -> None:
        self.base, self.quote, self.day = base, quote, day
        message = f"no FX rate {base}→{quote} on or before {day.isoformat()}"
        if stale is not None:
            message += (
                f" (the latest, on {stale.isoformat()}, is more than {LOOKBACK_DAYS} days older)"
            )
        message += f"; add one with `seatwise fx set {base} {quote} RATE --date {day.isoformat()}`"
        super().__init__(message)


def normalise_currency(code: str) -> str:
    """Return an ISO 4217 code in upper case.

    Raises:
        InvalidInputError: The code is not three letters.
    """
    value = code.strip().upper()
    if not _CURRENCY_RE.match(value):
        raise InvalidInputError(f"currency must be a 3-letter ISO 4217 code, got {code!r}")
    return value


MAX_RATE = Decimal(10) ** 10
"""Rates are stored with 10 digits before the decimal point (``FxRate.rate``)..."""
RATE_SCALE = 10
"""... and 10 after it."""


def parse_rate(text: str | Decimal) -> Decimal:
    """Return a positive rate.

    Raises:
        InvalidInputError: The rate is not a positive number.
    """
    try:
        rate = text if isinstance(text, Decimal) else Decimal(str(text).strip())
    except InvalidOperation:
        raise InvalidInputError(f"FX rate must be a positive number, got {text!r}") from None
    if not rate.is_finite() or rate <= 0:
        raise InvalidInputError(f"FX rate must be a positive number, got {text!r}")
    if rate >= MAX_RATE:
        raise InvalidInputError(f"FX rate must be below 10^10, got {text!r}")
    if (problem := inexact(rate, scale=RATE_SCALE)) is not None:
        raise InvalidInputError(f"FX rate {text} {problem}")
    return rate


def check_pair(base: str, quote: str) -> None:
    """Refuse a rate between a currency and itself (always 1, never stored).

    Raises:
        InvalidInputError: ``base`` and ``quote`` are the same currency.
    """
    if base == quote:
        raise InvalidInputError(f"an FX rate needs two different currencies, got {base}→{quote}")


def set_rate(*, session: Session, base: str, quote: str, day: date, rate: Decimal) -> FxRate:
    """Store (or replace) the rate ``1 base = rate quote`` on ``day``."""
    base, quote = normalise_currency(base), normalise_currency(quote)
    check_pair(base, quote)
    rate = parse_rate(rate)
    row = session.exec(
        select(FxRate).where(FxRate.base == base, FxRate.quote == quote, FxRate.day == day)
    ).first()
    if row is None:
        row = FxRate(base=base, quote=quote, day=day, rate=rate)
    else:
        row.rate = rate
    session.add(row)
    session.flush()
    return row


def import_rates(*, session: Session, text: str, source: str = "input") -> int:
    """Store every rate of a CSV (``base,quote,date,rate``); all or nothing.

    Raises:
        InvalidInputError: A header or row is bad; the message names the line.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    fields = [f.strip().lower() for f in (reader.fieldnames or [])]
    date_field = "date" if "date" in fields else "day"
    required = {"base", "quote", date_field, "rate"}
    if not required <= set(fields):
        raise InvalidInputError(
            f"{source}: the header must have columns base,quote,date,rate; got {','.join(fields)}"
        )
    parsed: list[tuple[str, str, date, Decimal]] = []
    for line, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        try:
            day = date.fromisoformat(row[date_field])
        except ValueError:
            raise InvalidInputError(
                f"{source} line {line}: date must be YYYY-MM-DD, got {row[date_field]!r}"
            ) from None
        try:
            base, quote = normalise_currency(row["base"]), normalise_currency(row["quote"])
            check_pair(base, quote)
            rate = parse_rate(row["rate"])
        except InvalidInputError as exc:
            raise InvalidInputError(f"{source} line {line}: {exc}") from None
        parsed.append((base, quote, day, rate))
    if not parsed:
        raise InvalidInputError(f"{source}: no rates found")
    for base, quote, day, rate in parsed:
        set_rate(session=session, base=base, quote=quote, day=day, rate=rate)
    return len(parsed)


def import_rates_file(*, session: Session, path: Path) -> int:
    """Store every rate of a CSV file (``base,quote,date,rate``); all or nothing."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SeatwiseError(f"cannot read {path.name}: {exc.strerror or exc}") from None
    return import_rates(session=session, text=text, source=path.name)


def list_rates(
    *, session: Session, base: str | None = None, quote: str | None = None
) -> list[FxRate]:
    """Return stored rates, newest first (optionally of one pair)."""
    query = select(FxRate)
    if base:
        query = query.where(FxRate.base == normalise_currency(base))
    if quote:
        query = query.where(FxRate.quote == normalise_currency(quote))
    query = query.order_by(col(FxRate.day).desc(), col(FxRate.base), col(FxRate.quote))
    return list(session.exec(query).all())


@dataclass
class FxTable:
    """Stored rates in memory, answering ``rate(base, quote, day)`` without guessing."""

    _days: dict[tuple[str, str], list[date]] = field(default_factory=dict)
    _rates: dict[tuple[str, str], list[Decimal]] = field(default_factory=dict)

    @classmethod
    def load(cls, *, session: Session, currencies: Iterable[str] | None = None) -> FxTable:
        """Load the stored rates (of the given currencies only, when given)."""
        query = sa.select(col(FxRate.base), col(FxRate.quote), col(FxRate.day), col(FxRate.rate))
        wanted = None if currencies is None else sorted(set(currencies))
        if wanted is not None:
            query = query.where(col(FxRate.base).in_(wanted), col(FxRate.quote).in_(wanted))
        table = cls()
        for base, quote, day, rate in session.execute(query.order_by(col(FxRate.day))).all():
            table._days.setdefault((base, quote), []).append(day)
            table._rates.setdefault((base, quote), []).append(Decimal(rate))
        return table

    def _lookup(self, pair: tuple[str, str], day: date) -> tuple[Decimal, date] | None:
        days = self._days.get(pair)
        if not days:
            return None
        i = bisect.bisect_right(days, day)
        if i == 0:
            return None
        return self._rates[pair][i - 1], days[i - 1]

    def rate(self, base: str, quote: str, day: date) -> Decimal:
        """Return how many ``quote`` one ``base`` is worth on ``day``.

        Raises:
            MissingFxRateError: No usable rate either way round.
        """
        if base == quote:
            return Decimal(1)
        oldest = day - timedelta(days=LOOKBACK_DAYS)
        found = [self._lookup((base, quote), day), self._lookup((quote, base), day)]
        usable = [f for f in found if f is not None and f[1] >= oldest]
        if usable:
            # The most recent quote wins; the direct pair wins a tie.
            best = max(range(len(found)), key=lambda i: (_day(found[i]), -i))
            entry = found[best]
            assert entry is not None
            return entry[0] if best == 0 else Decimal(1) / entry[0]
        stale = max((f[1] for f in found if f is not None), default=None)
        raise MissingFxRateError(base, quote, day, stale)


@dataclass(frozen=True)
class Converted:
    """Amounts in several currencies added up in one, and the currencies with no rate."""

    total: Decimal
    currency: str
    missing: tuple[str, ...] = ()


class RatesOfDay:
    """The rates from any currency to ``currency`` on ``day``: the stored rates are read
    once (when first needed) and each currency's rate kept, so an e-mail or a page that
    converts many amounts asks the database once."""

    def __init__(self, *, session: Session, currency: str, day: date) -> None:
        self.session, self.currency, self.day = session, currency, day
        self._fx: FxTable | None = None
        self._rates: dict[str, Decimal | None] = {}

    def rate(self, code: str) -> Decimal | None:
        """How many ``currency`` one ``code`` is worth (None: no usable rate)."""
        if code == self.currency:
            return Decimal(1)
        if code not in self._rates:
            if self._fx is None:
                self._fx = FxTable.load(session=self.session)
            try:
                self._rates[code] = self._fx.rate(code, self.currency, self.day)
            except MissingFxRateError:
                self._rates[code] = None
        return self._rates[code]

    def add_up(self, amounts: Mapping[str, Decimal]) -> Converted:
        """``amounts`` (by currency) converted and added up; currencies with no usable rate
        are left out and named in ``missing``, so a page can say what its figure leaves
        out rather than show a sum of currencies."""
        total, missing = Decimal(0), []
        for code, amount in amounts.items():
            rate = self.rate(code)
            if rate is None:
                missing.append(code)
            else:
                total += amount * rate
        return Converted(total, self.currency, tuple(sorted(missing)))


def total_in(
    *, session: Session, amounts: Mapping[str, Decimal], currency: str, day: date
) -> Converted:
    """``amounts`` (by currency) converted to ``currency`` at the rates of ``day``, added up
    (:meth:`RatesOfDay.add_up`)."""
    return RatesOfDay(session=session, currency=currency, day=day).add_up(amounts)


def _day(entry: tuple[Decimal, date] | None) -> date:
    return date.min if entry is None else entry[1]
