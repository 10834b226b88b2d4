"""An installation's data survives ``seatwise db upgrade`` from the revisions older
versions shipped: rows are written with the schema of an old revision, then migrated to
head and read back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import Session, select

import app.models as models
from analytics.model import Finding as AnalysisFinding
from app.core import migrate
from app.core.db import UTCDateTime
from app.findings.fingerprint import fingerprint
from app.findings.models import Finding
from app.findings.service import evidence_json, store_findings
from tests.conftest import Database

T0 = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
T1 = datetime(2026, 6, 2, 10, 0, tzinfo=UTC)
BEFORE_0006 = "0005_account_index"
BEFORE_0013 = "0012_assignment_holder_index"


@pytest.fixture
def old_schema(database: Database) -> Iterator[Any]:
    """Downgrade to a revision; the test writes rows and upgrades; all is emptied after."""

    def to(revision: str) -> None:
        migrate.downgrade(database.engine, revision)

    try:
        yield to
    finally:
        migrate.upgrade(database.engine)
        database.truncate()


def _filled(table: sa.Table, present: set[str], values: dict[str, Any]) -> dict[str, Any]:
    """``values`` plus a plain value for every other required column the old table has."""
    row = {k: v for k, v in values.items() if k in present}
    for c in table.columns:
        if c.name in row or c.name not in present or c.nullable or c.primary_key:
            continue
        kinds: list[tuple[type, Any]] = [
            (UTCDateTime, T0),
            (sa.JSON, {}),
            (sa.Boolean, False),
            (sa.Numeric, Decimal("1.5")),
            (sa.Integer, 0),
            (sa.Date, date(2026, 1, 1)),
            (sa.String, "x"),
            (sa.TypeDecorator, "x"),  # sqlmodel's AutoString
        ]
        row[c.name] = next(value for kind, value in kinds if isinstance(c.type, kind))
    return row


ROWS: list[tuple[str, dict[str, Any]]] = [
    ("app_user", {"id": 1, "email": "ann@acme.example", "role": "admin", "is_active": True}),
    ("connector_config", {"id": 1, "kind": "slack", "name": "slack", "config": {"a": [1]}}),
    ("vendor", {"id": 1, "name": "Acme Soft"}),
    ("application", {"id": 1, "name": "Acme Chat", "vendor_id": 1, "status": "active"}),
    ("person", {"id": 1, "email": "bo@acme.example", "department": "Sales", "status": "active"}),
    (
        "account",
        {"id": 1, "connector_id": 1, "external_id": "U1", "person_id": 1, "last_active_at": T1},
    ),
    ("product", {"id": 1, "application_id": 1, "connector_id": 1, "external_id": "P1"}),
    ("assignment", {"id": 1, "account_id": 1, "product_id": 1, "assigned_at": T1}),
    (
        "subscription",
        {
            "id": 1,
            "vendor_id": 1,
            "application_id": 1,
            "contract_number": "C-1",
            "start_date": date(2026, 1, 1),
            "renewal_date": date(2027, 1, 1),
            "unit_price": Decimal("12.3456"),
            "currency": "EUR",
            "seats": 10,
        },
    ),
    (
        "invoice",
        {
            "id": 1,
            "vendor_id": 1,
            "subscription_id": 1,
            "invoice_number": "I-1",
            "amount": Decimal("1234.5678"),
            "currency": "EUR",
        },
    ),
    ("budget", {"id": 1, "department": "Sales", "year": 2026, "amount": Decimal("99.5")}),
    ("budget", {"id": 2, "cost_centre": "CC-1", "year": 2026, "amount": Decimal("7")}),
    (
        "finding",
        {
            "id": 1,
            "key": "unused_seat:1:1",
            "kind": "unused_seat",
            "severity": "high",
            "evidence": {"days_inactive": 120},
            "status": "dismissed",
            "status_reason": "on leave",
            "status_by": "ann@acme.example",
            "status_at": T1,
            "monthly_savings": Decimal("12.5"),
            "currency": "EUR",
        },
    ),
    ("sync_run", {"id": 1, "connector_id": 1, "status": "succeeded", "counts": {"accounts": 1}}),
    ("audit_log", {"id": 1, "actor": "ann@acme.example", "action": "finding.dismiss"}),
]


def test_every_row_written_before_0006_survives_the_upgrade_to_head(
    database: Database, old_schema: Any
) -> None:
    old_schema(BEFORE_0006)
    present = {
        name: {c["name"] for c in sa.inspect(database.engine).get_columns(name)}
        for name in {name for name, _ in ROWS}
    }
    written = [(n, _filled(models.metadata.tables[n], present[n], v)) for n, v in ROWS]
    with database.engine.begin() as conn:
        for name, row in written:
            conn.execute(sa.insert(models.metadata.tables[name]).values(row))
    migrate.upgrade(database.engine)
    with database.engine.connect() as conn:
        for name, row in written:
            table = models.metadata.tables[name]
            read = conn.execute(sa.select(table).where(table.c.id == row["id"])).one()._mapping
            assert {k: read[k] for k in row} == row, name
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        assert compare_metadata(context, models.metadata) == []


def _analysis_finding(key: str) -> AnalysisFinding:
    return AnalysisFinding(
        key=key,
        kind="unused_seat",
        severity="high",
        application_id=None,
        product_id=None,
        subject=f"{key}@acme.example",
        evidence={"price_source": "contract"},
        monthly_savings=Decimal("12.50"),
        currency="EUR",
    )


def _resolved(key: str, status_by: str | None, reason: str | None) -> dict[str, Any]:
    f = _analysis_finding(key)
    evidence = evidence_json(f.evidence)
    return {
        "key": key,
        "kind": f.kind,
        "severity": f.severity,
        "subject": f.subject,
        "evidence": f.evidence,
        "fingerprint": fingerprint(f, evidence),
        "monthly_savings": f.monthly_savings,
        "currency": f.currency,
        "status": "resolved",
        "status_reason": reason,
        "status_by": status_by,
        "status_at": None if status_by is None else T0,
        "first_seen": T0,
        "last_seen": T0,
        "resolved_at": T1,
    }


# (key, status_by, status_reason, review actions in the audit log, oldest first) of
# findings an older version resolved, and the status each was resolved from.
RESOLVED_BY_AN_OLDER_VERSION = [
    ("dismissed", "ann", "on leave", ["finding.dismiss"], "dismissed"),
    ("acknowledged", "ann", "on it", ["finding.dismiss", "finding.acknowledge"], "acknowledged"),
    ("reopened_by_hand", "ann", None, ["finding.dismiss", "finding.reopen"], "open"),
    ("reopened_by_analyze", "analyze", "reopened: produced again", ["finding.dismiss"], "open"),
    ("never_reviewed", None, None, [], "open"),
    ("dismissed_by_another", "bo", "spare", [], None),  # bo's review is not in the log
]


def test_findings_resolved_before_0013_remember_the_status_they_were_resolved_from(
    database: Database, old_schema: Any
) -> None:
    old_schema(BEFORE_0013)
    table = models.metadata.tables["finding"]
    audit = models.metadata.tables["audit_log"]
    with database.engine.begin() as conn:
        for key, by, reason, actions, _ in RESOLVED_BY_AN_OLDER_VERSION:
            conn.execute(sa.insert(table).values(_resolved(key, by, reason)))
            for action in actions:
                conn.execute(
                    sa.insert(audit).values(
                        at=T0, actor="ann", action=action, target=key, details={}
                    )
                )
    migrate.upgrade(database.engine)
    with database.engine.connect() as conn:
        got = dict(conn.execute(sa.select(table.c.key, table.c.resolved_from)).all())
    assert got == {key: want for key, *_, want in RESOLVED_BY_AN_OLDER_VERSION}


def test_a_dismissal_an_older_version_resolved_is_dismissed_again_when_its_facts_come_back(
    database: Database, old_schema: Any
) -> None:
    old_schema(BEFORE_0013)
    with database.engine.begin() as conn:
        conn.execute(
            sa.insert(models.metadata.tables["finding"]).values(
                _resolved("unused_seat:7:1", "ann", "on leave")
            )
        )
        conn.execute(
            sa.insert(models.metadata.tables["audit_log"]).values(
                at=T0, actor="ann", action="finding.dismiss", target="unused_seat:7:1", details={}
            )
        )
    migrate.upgrade(database.engine)
    with Session(database.engine) as session:
        store_findings(
            session=session, findings=[_analysis_finding("unused_seat:7:1")], today=date.today()
        )
        session.commit()
        row = session.exec(select(Finding).where(Finding.key == "unused_seat:7:1")).one()
    assert (row.status, row.status_by, row.status_reason) == ("dismissed", "ann", "on leave")


def test_a_database_a_newer_seatwise_upgraded_is_named_so_not_sent_to_db_upgrade(
    cli: Any, database: Database
) -> None:
    stamp = sa.text("UPDATE alembic_version SET version_num = :v")
    head = migrate.head(database.engine)
    with database.engine.begin() as conn:
        conn.execute(stamp, {"v": "0099_from_a_newer_version"})
    try:
        for command in (("db", "upgrade"), ("db", "downgrade", "base")):
            result = cli(*command)
            assert result.exit_code == 1, command
            assert "'0099_from_a_newer_version', newer than this version" in result.stderr
            assert "Can't locate" not in result.stderr
        current = cli("db", "current")
        assert "newer than this version" in current.stdout
        assert "seatwise db upgrade" not in current.stdout
    finally:
        with database.engine.begin() as conn:
            conn.execute(stamp, {"v": head})
    assert sa.inspect(database.engine).has_table("finding")
