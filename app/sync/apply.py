"""Apply a connector's record stream to the inventory, inside the caller's transaction.

Records are staged in bulk (:mod:`app.sync.staging`, ~5,000 rows a load), then applied
with a handful of set-based statements: changed rows updated, unchanged rows only get
the run's mark (``last_seen_at = stamp``), new rows inserted, and rows of this connector
without the mark — the ones the vendor no longer reports — get ``removed_at`` (never
deleted). Rows seen again lose their ``removed_at``. Nothing of the tenant is held in
Python beyond one batch, so memory stays flat as tenants grow, and a second identical
run changes nothing but the marks.
"""

# SQL here interpolates only module-constant table and column names; values are bound.
# ruff: noqa: S608

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from app.people import service as people_service
from app.sync.products import ProductWriter
from app.sync.staging import (
    ACCOUNT_COLUMNS,
    ACCOUNTS,
    ASSIGNMENT_COLUMNS,
    ASSIGNMENTS,
    SEATS,
    USAGE,
    USAGE_COLUMNS,
    USES,
    Staging,
)
from connectors.base import (
    AccountRecord,
    AssignmentRecord,
    ProductRecord,
    Record,
    SyncWarning,
    UsageRecord,
)

BATCH = 5000
MAX_WARNINGS = 50
ACCOUNT_FIELDS = (
    "email", "display_name", "status", "is_guest", "is_admin", "department",
    "vendor_created_at", "last_active_at", "activity_known", "person_id",
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
        self._seq = 0
        self._buffers: dict[str, list[tuple[Any, ...]]] = {ACCOUNTS: [], ASSIGNMENTS: [], USAGE: []}
        self._columns = {
            ACCOUNTS: ACCOUNT_COLUMNS,
            ASSIGNMENTS: ASSIGNMENT_COLUMNS,
            USAGE: USAGE_COLUMNS,
        }

    # ------------------------------------------------------------------ intake

    def add(self, record: Record) -> None:
        """Take one record; staged in bulk when a batch fills."""
        self._seq += 1
        t, flag = self.stage.time, self.stage.flag
        if isinstance(record, AccountRecord):
            self._buffer(
                ACCOUNTS,
                (
                    self._seq, record.external_id, record.email,
                    people_service.normalise_email(record.email), record.display_name,
                    record.status, flag(record.is_guest), flag(record.is_admin),
                    record.department, t(record.created_at), t(record.last_active_at),
                    flag(record.activity_known),
                ),
            )  # fmt: skip
        elif isinstance(record, AssignmentRecord):
            self._buffer(
                ASSIGNMENTS,
                (self._seq, record.account_external_id, record.product_external_id,
                 t(record.assigned_at)),
            )  # fmt: skip
        elif isinstance(record, ProductRecord):
            self.products.upsert(record)
        elif isinstance(record, UsageRecord):
            self._buffer(
                USAGE,
                (self._seq, record.account_external_id, record.product_external_id or "",
                 self.stage.day(record.day), self.stage.activity(dict(record.activity))),
            )  # fmt: skip
        elif isinstance(record, SyncWarning):
            if len(self.warnings) < MAX_WARNINGS:
                self.warnings.append(record.message)
        else:  # a third-party connector yielding something else is a bug worth naming
            raise TypeError(f"connector yielded {type(record).__name__}, not a record")

    def _buffer(self, table: str, row: tuple[Any, ...]) -> None:
        buffer = self._buffers[table]
        buffer.append(row)
        if len(buffer) >= BATCH:
            self.stage.load(table, self._columns[table], buffer)
            self._buffers[table] = []

    # ------------------------------------------------------------------ apply

    def finish(self) -> tuple[dict[str, int], list[str]]:
        """Apply everything staged, mark what disappeared, recompute leavers; return counts."""
        for table, rows in self._buffers.items():
            self.stage.load(table, self._columns[table], rows)
        self._buffers = {k: [] for k in self._buffers}
        self.stage.index()
        self.stage.dedupe(ACCOUNTS, "external_id")
        counts: dict[str, int] = {}
        counts.update(self.products.finish())
        counts["persons_created"] = people_service.match_staged_accounts(
            session=self.session,
            table=ACCOUNTS,
            identity_provider=self.identity_provider,
            stamp=self.stamp,
        )
        counts.update(self._apply_accounts())
        counts.update(self._apply_assignments())
        counts.update(self._apply_usage())
        people_service.refresh_leavers(session=self.session, stamp=self.stamp)
        self.stage.drop()
        return counts, self.warnings

    def _apply_accounts(self) -> dict[str, int]:
        s, c, stamp = self.stage, self.connector_id, self.stamp
        join = f"account.connector_id = :c AND account.external_id = {ACCOUNTS}.external_id"
        restored = s.count(
            f"SELECT COUNT(*) FROM account JOIN {ACCOUNTS} ON {join} "
            "WHERE account.removed_at IS NOT NULL",
            c=c,
        )
        differs = " OR ".join(f"account.{f} {s.ne} {ACCOUNTS}.{f}" for f in ACCOUNT_FIELDS)
        sets = ", ".join(f"{f} = {ACCOUNTS}.{f}" for f in ACCOUNT_FIELDS)
        updated = s.run(
            f"UPDATE account SET {sets}, removed_at = NULL, last_seen_at = :stamp "
            f"FROM {ACCOUNTS} WHERE {join} AND ({differs} OR account.removed_at IS NOT NULL)",
            c=c,
            stamp=stamp,
        )
        fields = ", ".join(ACCOUNT_FIELDS)
        added = s.run(
            f"INSERT INTO account (connector_id, external_id, {fields}, first_seen_at, "
            f"last_seen_at) SELECT :c, external_id, {fields}, :stamp, :stamp FROM {ACCOUNTS} "
            f"WHERE NOT EXISTS (SELECT 1 FROM account a WHERE a.connector_id = :c "
            f"AND a.external_id = {ACCOUNTS}.external_id)",
            c=c,
            stamp=stamp,
        )
        removed = s.run(
            "UPDATE account SET removed_at = :stamp WHERE connector_id = :c "
            f"AND removed_at IS NULL AND NOT EXISTS (SELECT 1 FROM {ACCOUNTS} "
            f"WHERE {ACCOUNTS}.external_id = account.external_id)",
            c=c,
            stamp=stamp,
        )
        return {
            "accounts": s.count(f"SELECT COUNT(*) FROM {ACCOUNTS}"),
            "accounts_added": added,
            "accounts_updated": updated - restored,
            "accounts_restored": restored,
            "accounts_removed": removed,
        }

    def _apply_assignments(self) -> dict[str, int]:
        s, c, stamp = self.stage, self.connector_id, self.stamp
        staged = s.count(f"SELECT COUNT(*) FROM {ASSIGNMENTS}")
        s.run(
            f"INSERT INTO {SEATS} (account_id, product_id, assigned_at) "
            f"SELECT a.id, p.id, MAX(x.assigned_at) FROM {ASSIGNMENTS} x "
            "JOIN account a ON a.connector_id = :c AND a.external_id = x.account_external_id "
            "JOIN product p ON p.connector_id = :c AND p.external_id = x.product_external_id "
            "WHERE a.removed_at IS NULL AND p.removed_at IS NULL GROUP BY a.id, p.id",
            c=c,
        )
        s.conn.exec_driver_sql(f"CREATE INDEX ix_{SEATS} ON {SEATS} (account_id, product_id)")
        seats = s.count(f"SELECT COUNT(*) FROM {SEATS}")
        if staged > seats and len(self.warnings) < MAX_WARNINGS + 1:
            self.warnings.append(
                f"{staged - seats} licence assignment(s) named an account or product the "
                "source did not list; they were skipped."
            )
        join = (
            f"assignment.account_id = {SEATS}.account_id "
            f"AND assignment.product_id = {SEATS}.product_id"
        )
        restored = s.count(
            f"SELECT COUNT(*) FROM assignment JOIN {SEATS} ON {join} "
            "WHERE assignment.removed_at IS NOT NULL"
        )
        s.run(
            f"UPDATE assignment SET assigned_at = COALESCE({SEATS}.assigned_at, "
            f"assignment.assigned_at), removed_at = NULL, last_seen_at = :stamp FROM {SEATS} "
            f"WHERE {join} AND (assignment.removed_at IS NOT NULL OR ({SEATS}.assigned_at "
            f"IS NOT NULL AND {SEATS}.assigned_at {s.ne} assignment.assigned_at))",
            stamp=stamp,
        )
        added = s.run(
            "INSERT INTO assignment (account_id, product_id, assigned_at, first_seen_at, "
            f"last_seen_at) SELECT account_id, product_id, assigned_at, :stamp, :stamp "
            f"FROM {SEATS} WHERE NOT EXISTS (SELECT 1 FROM assignment x WHERE "
            f"x.account_id = {SEATS}.account_id AND x.product_id = {SEATS}.product_id)",
            stamp=stamp,
        )
        removed = s.run(
            "UPDATE assignment SET removed_at = :stamp WHERE removed_at IS NULL "
            "AND account_id IN (SELECT id FROM account WHERE connector_id = :c) "
            f"AND NOT EXISTS (SELECT 1 FROM {SEATS} WHERE {join})",
            c=c,
            stamp=stamp,
        )
        return {
            "assignments": seats,
            "assignments_added": added,
            "assignments_restored": restored,
            "assignments_removed": removed,
        }

    def _apply_usage(self) -> dict[str, int]:
        s, c = self.stage, self.connector_id
        if not s.count(f"SELECT COUNT(*) FROM {USAGE}"):
            return {"usage_days": 0}
        s.dedupe(USAGE, "account_external_id || '|' || product_external_id || '|' || day")
        s.run(
            f"INSERT INTO {USES} (account_id, person_id, product_id, day, activity) "
            f"SELECT a.id, a.person_id, p.id, u.day, u.activity FROM {USAGE} u "
            "JOIN account a ON a.connector_id = :c AND a.external_id = u.account_external_id "
            "AND a.removed_at IS NULL LEFT JOIN product p ON p.connector_id = :c "
            "AND p.external_id = u.product_external_id "
            "WHERE u.product_external_id = '' OR p.id IS NOT NULL",
            c=c,
        )
        join = (
            f"usage_daily.account_id = {USES}.account_id AND usage_daily.day = {USES}.day "
            f"AND usage_daily.product_id {s.same} {USES}.product_id"
        )
        activity = s.json.format(f"{USES}.activity")
        s.run(
            f"UPDATE usage_daily SET activity = {activity}, person_id = {USES}.person_id "
            f"FROM {USES} WHERE {join} AND (usage_daily.activity {s.ne} {activity} "
            f"OR usage_daily.person_id {s.ne} {USES}.person_id)"
        )
        s.run(
            "INSERT INTO usage_daily (account_id, person_id, product_id, day, activity) "
            f"SELECT account_id, person_id, product_id, day, {s.json.format('activity')} "
            f"FROM {USES} WHERE NOT EXISTS (SELECT 1 FROM usage_daily WHERE {join})"
        )
        return {"usage_days": s.count(f"SELECT COUNT(*) FROM {USES}")}
