"""Apply a connector's record stream to the inventory, inside the caller's transaction.

At the start of a run the applier reads a compact *key index* of what this connector
has stored: each account's external id, row id and values, and each seat's (account,
product) key and ``assigned_at`` — a few hundred bytes per account, never ORM objects.
The previous run left it in ``sync_index`` (:mod:`app.sync.key_index`); when that one
cannot be trusted it is read from the tables instead. Records are compared with it as
they arrive. An unchanged account or seat (nearly all of them on a re-sync) costs a
dictionary lookup and writes nothing; new and changed ones are buffered and written
batch by batch with bulk statements (:mod:`app.sync.account_writes`, through
:mod:`app.sync.staging`) while the stream is still arriving, so the database work
overlaps the wait for the vendor's next page. Whatever is left in the index at
:meth:`SnapshotApplier.finish` is what the vendor no longer reports: it gets
``removed_at`` (never deleted); rows seen again lose it. A second identical run
changes nothing.

Why an index in memory rather than joining staged batches to the inventory in SQL (the
previous design): those joins cost several seconds per 100,000 accounts on every run,
even when nothing changed, and the sync then took five to ten times as long as
fetching the pages. The index costs ~0.8 KB per account, against a peak of roughly
380 MB for the whole run at 100,000 accounts (the target is 500 MB).

Semantics: a person is matched or created (by :mod:`app.people.service`) for new
accounts and accounts whose values changed; an account listed twice ends with its last
values; an assignment whose account or product has not arrived yet waits until the end
of the run, and is skipped with a warning if they never come.
"""

# SQL here interpolates only module-constant table and column names; values are bound.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlmodel import Session

from app.core import bulk
from app.people import service as people_service
from app.sync import key_index
from app.sync.account_writes import SEAT_TIMES, AccountWriter
from app.sync.key_index import SEAT_BITS, AccountKey
from app.sync.products import ProductWriter
from app.sync.staging import (
    ACCOUNT_COLUMNS,
    PENDING,
    PENDING_COLUMNS,
    USAGE,
    USAGE_COLUMNS,
    Staging,
)
from app.sync.usage import apply_usage
from connectors.base import (
    AliasRecord,
    ProductRecord,
    Record,
    SyncWarning,
    UsageRecord,
)
from connectors.rows import CHUNK, AccountRow, Chunk, SeatRow, chunked, micros

BATCH = 10_000
"""New or changed rows (and seats to resolve) per applied batch: big enough to amortise
each statement, small enough that the last batch (applied after the stream ends) is quick."""
MAX_WARNINGS = 50
KEPT_COLUMNS = (
    "account_id", "status", "is_guest", "is_admin", "vendor_created_at", "last_active_at",
    "activity_known",
)  # fmt: skip
"""What an account that keeps its person (same e-mail, name and department) may change:
updating only these leaves its index entries (e-mail, person) untouched."""
COUNT_KEYS = (
    "persons_created", "accounts", "accounts_added", "accounts_updated", "accounts_restored",
    "accounts_removed", "assignments", "assignments_added", "assignments_restored",
    "assignments_removed",
)  # fmt: skip
_MISSING: Any = object()


class SnapshotApplier:
    """Feed it every record of one run with :meth:`add_many` / :meth:`add`, then :meth:`finish`."""

    def __init__(
        self, *, session: Session, connector_id: int, kind: str, identity_provider: bool,
        stamp: datetime, keep_index: bool = False, run_id: int | None = None,
    ) -> None:  # fmt: skip
        """``keep_index``: read and store the key index in ``sync_index`` (:mod:`.key_index`),
        for connectors whose rows hold only plain values (``Connector.plain_values``), as
        the end of run ``run_id``."""
        self.session = session
        self.connector_id = connector_id
        self.identity_provider = identity_provider
        self.stamp = stamp
        self.stage = Staging(session.connection())
        self.products = ProductWriter(
            session=session, connector_id=connector_id, kind=kind, stamp=stamp
        )
        self.persons = people_service.PersonMatcher(
            session=session, identity_provider=identity_provider, stamp=stamp
        )
        self.warnings: list[str] = []
        self.counts = dict.fromkeys(COUNT_KEYS, 0)
        self._seq = 0
        self._stamp = self.stage.time(stamp)
        self.writes = AccountWriter(self.stage, stamp, self._stamp)
        # What is stored and not yet seen in this run; what was removed before it.
        self._keep_index, self._run_id = keep_index, run_id
        stored = key_index.load(self.stage.conn, connector_id) if keep_index else None
        self._stored = stored is not None  # and still to be rewritten when something changes
        index = stored or key_index.scan(self.stage.conn, connector_id)
        self._known, self._gone = index.accounts, index.gone
        self._known_seats, self._gone_seats = index.seats, index.gone_seats
        # What this run reported: accounts by external id, seats by key (with assigned_at).
        self._run: dict[str, AccountKey] = {}
        self._run_seats: dict[int, int | None] = {}
        # The current batch: new or changed accounts (external id, row id, values, and
        # the stored values of a changed one), and seats still to resolve.
        self._changed: dict[str, tuple[str, int | None, tuple[Any, ...], Any]] = {}
        self._seats: list[SeatRow] = []
        self._pending = 0
        self._usage: list[tuple[Any, ...]] = []
        self._aliases: list[tuple[str, str]] = []  # (account external id, e-mail)

    # ------------------------------------------------------------------ intake

    def add_chunk(self, chunk: Chunk) -> None:
        """Take a chunk of the stream (:mod:`connectors.rows`); a full batch is applied at once."""
        for record in chunk.others:
            self._add_other(record)
        self._add_accounts(chunk.accounts)
        self._seats.extend(chunk.seats)
        if len(self._changed) + len(self._seats) >= BATCH:
            self.flush()

    def add_many(self, records: Iterable[Record]) -> None:
        """Take typed records (the connector's own stream, or a test's).

        Chunks are never larger than a batch, so a small ``BATCH`` flushes as often as it
        says (tests use that to apply a run in many small batches).
        """
        for chunk in chunked(records, min(CHUNK, BATCH)):
            self.add_chunk(chunk)

    def add(self, record: Record) -> None:
        """Take one record."""
        self.add_many((record,))

    def _add_accounts(self, rows: list[AccountRow]) -> None:
        """Compare account rows with the key index: the sync's hot loop, once per account.

        An unchanged account costs one comparison of its row's values with the stored
        ones (a C loop over a tuple of strings, booleans and integers) and two
        dictionary operations.
        """
        known, run, changed, gone = self._known, self._run, self._changed, self._gone
        for row in rows:
            ext = row[0]
            values = row[1:]
            old = known.pop(ext, None) or run.get(ext)
            if old is None:
                run[ext] = (None, values)
                changed[ext] = (ext, None, values, None)
            elif old[1] != values or ext in gone:
                run[ext] = (old[0], values)
                # Compared later with what is stored: the values before this batch.
                pending = changed.get(ext)
                stored = pending[3] if pending else None if ext in gone else old[1]
                changed[ext] = (ext, old[0], values, stored)
            else:
                run[ext] = old

    def _add_other(self, record: Record) -> None:
        if isinstance(record, ProductRecord):
            self.products.upsert(record)
        elif isinstance(record, UsageRecord):
            self._seq += 1
            self._usage.append(
                (self._seq, record.account_external_id, record.product_external_id or "",
                 self.stage.day(record.day), self.stage.activity(dict(record.activity)))
            )  # fmt: skip
            if len(self._usage) >= BATCH:
                self.stage.load(USAGE, USAGE_COLUMNS, self._usage)
                self._usage = []
        elif isinstance(record, AliasRecord):
            email = people_service.normalise_email(record.email)
            if email:
                self._aliases.append((record.account_external_id, email))
        elif isinstance(record, SyncWarning):
            if len(self.warnings) < MAX_WARNINGS:
                self.warnings.append(record.message)
        else:  # a third-party connector yielding something else is a bug worth naming
            raise TypeError(f"connector yielded {type(record).__name__}, not a record")

    def flush(self) -> None:
        """Write the batch: new and changed accounts first, then the seats naming them."""
        if self._changed:
            self._apply_accounts()
        if self._seats:
            seats = list(self._seats)
            self._seats.clear()
            self._apply_seats(seats, final=False)

    # ------------------------------------------------------------------ batches

    def _apply_accounts(self) -> None:
        """Match persons for the batch's new and changed accounts, then update and insert.

        An account whose e-mail, name and department are as stored (its sign-in time
        changed, say: most changes of a daily sync) keeps its person: matching it again
        would look up its e-mail for nothing, and its person is left as an unchanged
        account's is.
        """
        n, run, stamp = self.counts, self._run, self._stamp
        matched: list[tuple[str, int | None, tuple[Any, ...]]] = []
        kept: list[tuple[Any, ...]] = []  # (account id, the values of KEPT_COLUMNS)
        for ext, account_id, v, old in self._changed.values():
            if old is not None and v[0] == old[0] and v[1] == old[1] and v[5] == old[5]:
                kept.append((account_id, v[2], v[3], v[4], v[6], v[7], v[8]))
                n["accounts_updated"] += 1
            else:
                matched.append((ext, account_id, v))
        self._changed.clear()
        self._stored = False
        persons = self.persons.match(
            [(people_service.normalise_email(v[0]), v[1], v[5]) for _, _, v in matched]
        )
        new: list[tuple[Any, ...]] = []
        updates: list[tuple[Any, ...]] = []
        for (ext, account_id, v), person_id in zip(matched, persons, strict=True):
            values = (*v, person_id)
            if account_id is None:
                new.append((self.connector_id, ext, *values, stamp, stamp))
                continue
            updates.append((account_id, *values))
            if ext in self._gone:
                self._gone.discard(ext)
                n["accounts_restored"] += 1
            else:
                n["accounts_updated"] += 1
        self.writes.update_accounts(updates, ACCOUNT_COLUMNS)
        self.writes.update_accounts(kept, KEPT_COLUMNS)
        inserted = self.writes.insert_accounts(new)
        for ext, account_id in inserted:
            run[ext] = (account_id, run[ext][1])
        n["accounts_added"] += len(inserted)

    def _apply_seats(self, seats: list[SeatRow], *, final: bool) -> None:
        """Resolve seats to (account, product) keys; insert new ones, update changed ones."""
        run, products, run_seats = self._run, self.products.ids, self._run_seats
        known, gone, n = self._known_seats, self._gone_seats, self.counts
        inserts: dict[int, Any] = {}
        updates: dict[int, Any] = {}
        waiting: list[tuple[Any, ...]] = []
        skipped = 0
        for ext, product, at in seats:
            account = run.get(ext)
            product_id = products.get(product)
            if account is None or account[0] is None or product_id is None:
                if final:
                    skipped += 1
                else:  # the account or product may still come later in the stream
                    self._seq += 1
                    waiting.append((self._seq, ext, product, at))
                continue
            key = account[0] << SEAT_BITS | product_id
            # Stored and first seen in this run: the common case, one dictionary operation.
            old = known.pop(key, _MISSING)
            if old is not _MISSING:
                run_seats[key] = old if at is None else at
                if gone and key in gone:
                    gone.discard(key)
                    n["assignments_restored"] += 1
                    updates[key] = at
                elif at is not None and at != old:
                    updates[key] = at
                continue
            old = run_seats.get(key, _MISSING)
            if old is _MISSING:  # new
                inserts[key] = at
                run_seats[key] = at
            elif at is not None and at != old:  # listed twice in this run: a later date wins
                run_seats[key] = at
                (inserts if key in inserts else updates)[key] = at
        if skipped:
            self._warn_skipped(skipped)
        if waiting:
            self.stage.load(PENDING, PENDING_COLUMNS, waiting, micros=SEAT_TIMES)
            self._pending += len(waiting)
        if inserts or updates:
            self._stored = False
        self.writes.write_seats(inserts, updates)
        self.counts["assignments_added"] += len(inserts)

    def _warn_skipped(self, skipped: int) -> None:
        if len(self.warnings) < MAX_WARNINGS + 1:
            self.warnings.append(
                f"{skipped} licence assignment(s) named an account or product the "
                "source did not list; they were skipped."
            )

    # ------------------------------------------------------------------ finish

    def finish(self) -> tuple[dict[str, int], list[str]]:
        """Apply the last batch, mark what disappeared, recompute leavers; return counts."""
        s, n = self.stage, self.counts
        self.flush()
        if self._pending:
            waiting = [
                (ext, product, micros(s.read_time(at)))
                for ext, product, at in s.conn.exec_driver_sql(
                    f"SELECT account_external_id, product_external_id, assigned_at FROM {PENDING} "
                    "ORDER BY seq"
                )
            ]
            self._apply_seats(waiting, final=True)
        counts: dict[str, int] = {}
        counts.update(self.products.finish())
        n["accounts"], n["assignments"] = len(self._run), len(self._run_seats)
        n["accounts_removed"] = self._remove_accounts()
        n["assignments_removed"] = self._remove_seats()
        if self._usage:
            s.load(USAGE, USAGE_COLUMNS, self._usage)
            self._usage = []
        n["persons_created"] = self.persons.created
        counts.update(n)
        counts.update(apply_usage(s, connector_id=self.connector_id))
        if self._aliases:
            counts.update(self._record_aliases())
        people_service.refresh_leavers(session=self.session, stamp=self.stamp)
        if self._keep_index:
            self._keep(s.conn)
        s.drop()
        return counts, self.warnings

    def _record_aliases(self) -> dict[str, int]:
        """Make the reported aliases known for their accounts' persons (:mod:`app.people`)."""
        ids = {ext: key[0] for ext, _ in self._aliases if (key := self._run.get(ext)) and key[0]}
        persons = dict(
            bulk.select_in(
                self.stage.conn, "SELECT id, person_id FROM account WHERE", "id", list(ids.values())
            )
        )
        pairs = [
            (person, email)
            for ext, email in self._aliases
            if ext in ids and (person := persons.get(ids[ext])) is not None
        ]
        return people_service.record_aliases(session=self.session, aliases=pairs, stamp=self.stamp)

    def _keep(self, conn: Any) -> None:
        """Store the key index as this run leaves the tables (or confirm the stored one)."""
        if self._stored:
            key_index.still_current(conn, self.connector_id, run_id=self._run_id)
            return
        unwritten = sum(1 for key in self._run.values() if key[0] is None)
        if unwritten:
            raise RuntimeError(f"{unwritten} new account(s) were never written; nothing applied")
        key_index.save(
            conn,
            self.connector_id,
            (self._run, self._known),
            (self._run_seats, self._known_seats),
            run_id=self._run_id,
        )

    def _remove_accounts(self) -> int:
        """Mark removed the stored accounts this run did not report (and were not already)."""
        ids = [(key[0],) for ext, key in self._known.items() if ext not in self._gone]
        if not ids:
            return 0
        self._stored = False
        self.writes.mark_accounts_removed(ids)
        return len(ids)

    def _remove_seats(self) -> int:
        """Mark removed the stored seats this run did not report (and were not already)."""
        mask = (1 << SEAT_BITS) - 1
        keys = [(k >> SEAT_BITS, k & mask) for k in self._known_seats if k not in self._gone_seats]
        if not keys:
            return 0
        self._stored = False
        self.writes.mark_seats_removed(keys)
        return len(keys)
