"""Apply a connector's record stream to the inventory, inside the caller's transaction.

Records are buffered and applied batch by batch while the stream is still arriving
(:mod:`app.sync.staging` loads each batch in bulk, a handful of set-based statements
apply it): persons matched or created, changed accounts and seats updated, new ones
inserted, unchanged rows left alone. The keys of everything seen accumulate in
staging tables; at :meth:`SnapshotApplier.finish` rows of this connector that were
not seen — the ones the vendor no longer reports — get ``removed_at`` (never deleted),
and rows seen again lose it. Nothing of the tenant is held in Python beyond one batch,
so memory stays flat as tenants grow, and a second identical run changes nothing.

Batch semantics equal whole-run semantics: an assignment whose account or product has
not arrived yet waits in a pending table until the end; a person's name comes from their
first account in the run; an account listed twice ends with its last values.
"""

# SQL here interpolates only module-constant table and column names; values are bound.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from operator import attrgetter
from typing import Any

from sqlmodel import Session

from app.people import service as people_service
from app.sync.products import ProductWriter
from app.sync.staging import (
    ACCOUNT_COLUMNS,
    ACCOUNTS,
    ASSIGNMENT_ALL,
    ASSIGNMENT_COLUMNS,
    ASSIGNMENTS,
    PENDING,
    RUN_PRODUCTS,
    SEATS,
    SEEN_ACCOUNTS,
    SEEN_SEATS,
    USAGE,
    USAGE_COLUMNS,
    Staging,
)
from app.sync.usage import apply_usage
from connectors.base import (
    AccountRecord,
    AssignmentRecord,
    ProductRecord,
    Record,
    SyncWarning,
    UsageRecord,
)

BATCH = 10_000
"""Account and assignment rows per applied batch: big enough to amortise each statement,
small enough that the last batch (applied after the stream ends) is quick."""
MAX_WARNINGS = 50
ACCOUNT_FIELDS = (
    "email", "display_name", "status", "is_guest", "is_admin", "department",
    "vendor_created_at", "last_active_at", "activity_known", "person_id",
)  # fmt: skip
ACCOUNTS_OF_CONNECTOR = "account WHERE connector_id = :c"
ASSIGNMENTS_OF_CONNECTOR = (
    "assignment WHERE account_id IN (SELECT id FROM account WHERE connector_id = :c)"
)
_ACCOUNT_GET = attrgetter(
    "external_id", "email", "display_name", "status", "is_guest", "is_admin", "department",
    "created_at", "last_active_at", "activity_known",
)  # fmt: skip
_ASSIGNMENT_GET = attrgetter("account_external_id", "product_external_id", "assigned_at")
COUNT_KEYS = (
    "persons_created", "accounts", "accounts_added", "accounts_updated", "accounts_restored",
    "accounts_removed", "assignments", "assignments_added", "assignments_restored",
    "assignments_removed",
)  # fmt: skip


class SnapshotApplier:
    """Feed it every record of one run with :meth:`add`, then call :meth:`finish`."""

    def __init__(
        self, *, session: Session, connector_id: int, kind: str, identity_provider: bool,
        stamp: datetime,
    ) -> None:  # fmt: skip
        self.session = session
        self.connector_id = connector_id
        self.identity_provider = identity_provider
        self.stamp = stamp
        self.stage = Staging(session.connection())
        self.products = ProductWriter(
            session=session, connector_id=connector_id, kind=kind, stamp=stamp
        )
        self.warnings: list[str] = []
        self.counts = dict.fromkeys(COUNT_KEYS, 0)
        self._seq = 0
        self._accounts: list[tuple[Any, ...]] = []
        self._assignments: list[tuple[Any, ...]] = []
        self._usage: list[tuple[Any, ...]] = []
        self._products_staged = 0
        # Rows removed before this run: those no longer removed at the end were restored.
        self._removed_before = (
            self._tally(ACCOUNTS_OF_CONNECTOR)[1],
            self._tally(ASSIGNMENTS_OF_CONNECTOR)[1],
        )

    # ------------------------------------------------------------------ intake

    def add_many(self, records: Iterable[Record]) -> None:
        """Take many records: the sync's hot loop, for the two commonest record types.

        Same effect as :meth:`add` on each; kept tight because it runs once per account
        and seat of the tenant, holding the interpreter lock the fetch thread also needs.
        """
        accounts, assignments, time = self._accounts, self._assignments, self.stage.time
        account_fields, assignment_fields = _ACCOUNT_GET, _ASSIGNMENT_GET
        seq = self._seq
        for record in records:
            kind = type(record)
            if kind is AssignmentRecord:
                seq += 1
                ext, product, at = assignment_fields(record)
                assignments.append((seq, ext, product, None if at is None else time(at)))
            elif kind is AccountRecord:
                seq += 1
                ext, email, name, status, guest, admin, dept, made, last, known = account_fields(
                    record
                )
                norm = email.strip().lower() if email else None
                if norm is not None and "@" not in norm:
                    norm = None
                accounts.append(
                    (seq, ext, email, norm, name, status, guest, admin, dept,
                     None if made is None else time(made), None if last is None else time(last),
                     known)
                )  # fmt: skip
            else:
                self._seq = seq
                self.add(record)
                seq = self._seq
                accounts, assignments = self._accounts, self._assignments
                continue
            if len(accounts) + len(assignments) >= BATCH:
                self._seq = seq
                self.flush()
                accounts, assignments = self._accounts, self._assignments
        self._seq = seq

    def add(self, record: Record) -> None:
        """Take one record; a full batch is applied at once."""
        self._seq += 1
        if isinstance(record, AccountRecord):
            t = self.stage.time
            self._accounts.append(
                (
                    self._seq, record.external_id, record.email,
                    people_service.normalise_email(record.email), record.display_name,
                    record.status, record.is_guest, record.is_admin,
                    record.department, t(record.created_at), t(record.last_active_at),
                    record.activity_known,
                )
            )  # fmt: skip
        elif isinstance(record, AssignmentRecord):
            self._assignments.append(
                (self._seq, record.account_external_id, record.product_external_id,
                 self.stage.time(record.assigned_at))
            )  # fmt: skip
        elif isinstance(record, ProductRecord):
            self.products.upsert(record)
            return
        elif isinstance(record, UsageRecord):
            self._usage.append(
                (self._seq, record.account_external_id, record.product_external_id or "",
                 self.stage.day(record.day), self.stage.activity(dict(record.activity)))
            )  # fmt: skip
            if len(self._usage) >= BATCH:
                self.stage.load(USAGE, USAGE_COLUMNS, self._usage)
                self._usage = []
            return
        elif isinstance(record, SyncWarning):
            if len(self.warnings) < MAX_WARNINGS:
                self.warnings.append(record.message)
            return
        else:  # a third-party connector yielding something else is a bug worth naming
            raise TypeError(f"connector yielded {type(record).__name__}, not a record")
        if len(self._accounts) + len(self._assignments) >= BATCH:
            self.flush()

    def flush(self) -> None:
        """Apply the buffered accounts, then the buffered assignments."""
        self._stage_products()
        if self._accounts:
            rows, self._accounts = self._accounts, []
            self.stage.load(ACCOUNTS, ACCOUNT_COLUMNS, rows)
            self._apply_accounts()
        if self._assignments:
            rows, self._assignments = self._assignments, []
            self.stage.load(ASSIGNMENTS, ASSIGNMENT_COLUMNS, rows)
            self._apply_assignments(len(rows), final=False)

    def _stage_products(self) -> None:
        """Record the products seen so far: only these take seats in this run."""
        ids = list(self.products.ids.items())[self._products_staged :]
        if ids:
            self.stage.load(RUN_PRODUCTS, ("external_id", "product_id"), ids)
            self._products_staged += len(ids)

    # ------------------------------------------------------------------ batches

    def _apply_accounts(self) -> None:
        s, c, stamp, n = self.stage, self.connector_id, self.stamp, self.counts
        s.analyze(ACCOUNTS)
        s.dedupe(ACCOUNTS, "external_id")
        n["persons_created"] += people_service.match_staged_accounts(
            session=self.session,
            table=ACCOUNTS,
            seen=SEEN_ACCOUNTS,
            identity_provider=self.identity_provider,
            stamp=stamp,
        )
        join = f"account.connector_id = :c AND account.external_id = {ACCOUNTS}.external_id"
        differs = " OR ".join(f"account.{f} {s.ne} {ACCOUNTS}.{f}" for f in ACCOUNT_FIELDS)
        sets = ", ".join(f"{f} = {ACCOUNTS}.{f}" for f in ACCOUNT_FIELDS)
        n["accounts_updated"] += s.run(
            f"UPDATE account SET {sets}, removed_at = NULL, last_seen_at = :stamp "
            f"FROM {ACCOUNTS} WHERE {join} AND ({differs} OR account.removed_at IS NOT NULL)",
            c=c,
            stamp=stamp,
        )
        fields = ", ".join(ACCOUNT_FIELDS)
        n["accounts_added"] += s.run(
            f"INSERT INTO account (connector_id, external_id, {fields}, first_seen_at, "
            f"last_seen_at) SELECT :c, external_id, {fields}, :stamp, :stamp FROM {ACCOUNTS} "
            f"WHERE NOT EXISTS (SELECT 1 FROM account a WHERE a.connector_id = :c "
            f"AND a.external_id = {ACCOUNTS}.external_id)",
            c=c,
            stamp=stamp,
        )
        n["accounts"] += s.run(
            f"INSERT INTO {SEEN_ACCOUNTS} (external_id, account_id, person_id) "
            f"SELECT b.external_id, a.id, b.person_id FROM {ACCOUNTS} b JOIN account a "
            "ON a.connector_id = :c AND a.external_id = b.external_id "
            "WHERE true ON CONFLICT DO NOTHING",
            c=c,
        )
        s.clear(ACCOUNTS)

    def _apply_assignments(self, staged: int, *, final: bool) -> None:
        """Apply the seats staged in the assignments table; park the unresolvable ones."""
        s, stamp, n = self.stage, self.stamp, self.counts
        s.analyze(ASSIGNMENTS)
        s.run(
            f"INSERT INTO {SEATS} (account_id, product_id, assigned_at, n) "
            f"SELECT a.account_id, p.product_id, MAX(x.assigned_at), COUNT(*) FROM {ASSIGNMENTS} x "
            f"JOIN {SEEN_ACCOUNTS} a ON a.external_id = x.account_external_id "
            f"JOIN {RUN_PRODUCTS} p ON p.external_id = x.product_external_id "
            "GROUP BY a.account_id, p.product_id"
        )
        resolved = s.count(f"SELECT SUM(n) FROM {SEATS}")
        if resolved < staged:
            if final:
                self._warn_skipped(staged - resolved)
            else:  # the account or product may still come later in the stream
                s.run(
                    f"INSERT INTO {PENDING} ({ASSIGNMENT_ALL}) SELECT {ASSIGNMENT_ALL} "
                    f"FROM {ASSIGNMENTS} x WHERE NOT EXISTS (SELECT 1 FROM {SEEN_ACCOUNTS} a "
                    f"JOIN {RUN_PRODUCTS} p ON p.external_id = x.product_external_id "
                    "WHERE a.external_id = x.account_external_id)"
                )
        s.analyze(SEATS)
        join = (
            f"assignment.account_id = {SEATS}.account_id "
            f"AND assignment.product_id = {SEATS}.product_id"
        )
        s.run(
            f"UPDATE assignment SET assigned_at = COALESCE({SEATS}.assigned_at, "
            f"assignment.assigned_at), removed_at = NULL, last_seen_at = :stamp FROM {SEATS} "
            f"WHERE {join} AND (assignment.removed_at IS NOT NULL OR ({SEATS}.assigned_at "
            f"IS NOT NULL AND {SEATS}.assigned_at {s.ne} assignment.assigned_at))",
            stamp=stamp,
        )
        n["assignments_added"] += s.run(
            "INSERT INTO assignment (account_id, product_id, assigned_at, first_seen_at, "
            f"last_seen_at) SELECT account_id, product_id, assigned_at, :stamp, :stamp "
            f"FROM {SEATS} WHERE NOT EXISTS (SELECT 1 FROM assignment x WHERE "
            f"x.account_id = {SEATS}.account_id AND x.product_id = {SEATS}.product_id)",
            stamp=stamp,
        )
        n["assignments"] += s.run(
            f"INSERT INTO {SEEN_SEATS} (account_id, product_id) SELECT account_id, product_id "
            f"FROM {SEATS} WHERE true ON CONFLICT DO NOTHING"
        )
        s.clear(ASSIGNMENTS, SEATS)

    def _warn_skipped(self, skipped: int) -> None:
        if len(self.warnings) < MAX_WARNINGS + 1:
            self.warnings.append(
                f"{skipped} licence assignment(s) named an account or product the "
                "source did not list; they were skipped."
            )

    # ------------------------------------------------------------------ finish

    def finish(self) -> tuple[dict[str, int], list[str]]:
        """Apply the last batch, mark what disappeared, recompute leavers; return counts."""
        s, c, stamp, n = self.stage, self.connector_id, self.stamp, self.counts
        self.flush()
        pending = s.count(f"SELECT COUNT(*) FROM {PENDING}")
        if pending:
            s.run(f"INSERT INTO {ASSIGNMENTS} SELECT * FROM {PENDING}")
            self._apply_assignments(pending, final=True)
        counts: dict[str, int] = {}
        counts.update(self.products.finish())
        s.analyze(SEEN_ACCOUNTS, SEEN_SEATS)
        # Rows seen again are live; live rows beyond those seen were not reported: mark
        # them removed (the anti-join runs only when there is something to find).
        live, still_gone = self._tally(ACCOUNTS_OF_CONNECTOR)
        n["accounts_restored"] = self._removed_before[0] - still_gone
        n["accounts_updated"] -= n["accounts_restored"]
        if live > n["accounts"]:
            n["accounts_removed"] = s.run(
                "UPDATE account SET removed_at = :stamp WHERE connector_id = :c "
                f"AND removed_at IS NULL AND NOT EXISTS (SELECT 1 FROM {SEEN_ACCOUNTS} x "
                "WHERE x.external_id = account.external_id)",
                c=c,
                stamp=stamp,
            )
        live, still_gone = self._tally(ASSIGNMENTS_OF_CONNECTOR)
        n["assignments_restored"] = self._removed_before[1] - still_gone
        if live > n["assignments"]:
            n["assignments_removed"] = s.run(
                "UPDATE assignment SET removed_at = :stamp WHERE removed_at IS NULL "
                "AND account_id IN (SELECT id FROM account WHERE connector_id = :c) "
                f"AND NOT EXISTS (SELECT 1 FROM {SEEN_SEATS} x WHERE "
                "x.account_id = assignment.account_id AND x.product_id = assignment.product_id)",
                c=c,
                stamp=stamp,
            )
        if self._usage:
            s.load(USAGE, USAGE_COLUMNS, self._usage)
            self._usage = []
        counts.update(n)
        counts.update(apply_usage(s, connector_id=c))
        people_service.refresh_leavers(session=self.session, stamp=stamp)
        s.drop()
        return counts, self.warnings

    def _tally(self, rows: str) -> tuple[int, int]:
        """How many of the connector's rows are live, and how many were removed before this run."""
        live, gone = self.stage.conn.execute(
            self.stage._stmt(
                "SELECT COUNT(*) - COUNT(removed_at), "
                f"COUNT(CASE WHEN removed_at <> :stamp THEN 1 END) FROM {rows}"
            ),
            {"c": self.connector_id, "stamp": self.stamp},
        ).one()
        return int(live or 0), int(gone or 0)
