"""The sync service: one run of one connector, all or nothing.

Lifecycle: a ``SyncRun`` is committed as ``running`` in its own short transaction; then
one transaction, once no other sync is applying (one at a time), streams the
connector's records — fetched in a separate process (:mod:`app.sync.pipeline`) so
writing overlaps fetching — applies them in batches (:mod:`app.sync.apply`), marks what
disappeared, records the counts and commits. Any error rolls everything back and the run
is recorded ``failed`` with the reason in plain words, in a fresh transaction: the
previous inventory stays exactly as it was. The run's row is kept by :mod:`app.sync.runs`;
which sync may write when, by :mod:`app.sync.turns`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from analytics.seats import gc_paused
from app.core.db import session_scope, utcnow
from app.core.settings import Settings
from app.inventory.contracts import relink_contracts
from app.sync.apply import SnapshotApplier
from app.sync.configs import build_connector, get_connector_config, is_identity_provider
from app.sync.models import ConnectorConfig, SyncRun
from app.sync.pipeline import fetched
from app.sync.runs import close_interrupted, describe_error, fail_run, start_run
from app.sync.turns import SYNC_WAIT_SECONDS, SyncTurn, claim, wait_for_turn


@dataclass
class SyncResult:
    """What one run did, for the CLI, the API and the scheduler."""

    connector: str
    run_id: int
    status: str
    counts: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "connector": self.connector,
            "run_id": self.run_id,
            "status": self.status,
            "counts": self.counts,
            "warnings": self.warnings,
            "error": self.error,
        }


def sync_connector(
    *,
    engine: Engine,
    settings: Settings,
    name: str,
    connector_options: dict[str, Any] | None = None,
    on_record: Callable[[int], None] | None = None,
    wait_seconds: float = SYNC_WAIT_SECONDS,
) -> SyncResult:
    """Run one full sync of the connector ``name``; never raises for a connector failure.

    ``connector_options`` go to the connector's constructor (tests pass fast retries);
    ``on_record`` is called with the running record count every 1,000 records. A sync
    of another connector in progress is waited for, ``wait_seconds`` at most
    (:func:`wait_for_turn`); one of the same connector on PostgreSQL refuses this run
    (:func:`claim`), while on SQLite it is waited for like any other.
    """
    started = time.monotonic()
    row, run_id = start_run(engine, name, wait_seconds)
    queued = time.monotonic() - started
    assert row.id is not None
    turn: SyncTurn | None = None
    try:
        connector = build_connector(row, settings, **(connector_options or {}))
        with Session(engine, expire_on_commit=False) as session, session.begin():
            claim(session, row.id, name)
            close_interrupted(engine, row.id, run_id)
            turn = SyncTurn(session)
            waited = wait_for_turn(session, turn, row.id, name, wait_seconds, queued)
            stamp = utcnow()
            seen = 0
            # No cyclic garbage collection while records stream in: it builds millions
            # of small acyclic tuples (decoded rows, the key index), and each burst set
            # off collections walking the whole heap again, a quarter of its CPU time.
            with gc_paused(), fetched(connector) as chunks:
                # Read the stored key index while the first pages are on their way.
                applier = SnapshotApplier(
                    session=session,
                    connector_id=row.id,
                    kind=row.kind,
                    identity_provider=is_identity_provider(row),
                    stamp=stamp,
                    keep_index=connector.plain_values,
                    run_id=run_id,
                )
                for chunk in chunks:
                    applier.add_chunk(chunk)
                    if on_record is not None and (seen + chunk.count) // 1000 > seen // 1000:
                        on_record((seen + chunk.count) // 1000 * 1000)
                    seen += chunk.count
            counts, warnings = applier.finish()
            if waited:
                warnings = [waited, *warnings]
            # Contracts imported before their products first synced link up now.
            linked = relink_contracts(session=session)
            if linked:
                counts = {**counts, "contracts_linked": linked}
            run = session.get(SyncRun, run_id)
            assert run is not None
            run.status = "succeeded"
            run.counts = counts
            run.warnings = warnings
            run.finished_at = utcnow()
    except BaseException as exc:
        error = describe_error(exc)
        fail_run(engine, run_id, error, wait_seconds)
        if not isinstance(exc, Exception):
            raise
        return SyncResult(connector=name, run_id=run_id, status="failed", error=error)
    finally:
        if turn is not None:  # after the failure is recorded, before the next sync writes
            turn.release()
    return SyncResult(
        connector=name, run_id=run_id, status="succeeded", counts=counts, warnings=warnings
    )


def connectors_to_sync(*, session: Session, names: Sequence[str]) -> list[str]:
    """The named connectors (each must exist), or every enabled one when none is named."""
    if names:
        return [get_connector_config(session=session, name=n).name for n in names]
    rows = session.exec(
        select(ConnectorConfig)
        .where(col(ConnectorConfig.enabled).is_(True))
        .order_by(col(ConnectorConfig.name))
    )
    return [r.name for r in rows]


def sync_many(
    *,
    engine: Engine,
    settings: Settings,
    names: Sequence[str] = (),
    connector_options: dict[str, Any] | None = None,
) -> list[SyncResult]:
    """Sync the named (or all enabled) connectors one after the other.

    Identity providers go first, so the persons they define exist (with their names
    and departments) before other sources' accounts are matched to them.
    """
    with session_scope(engine) as session:
        chosen = connectors_to_sync(session=session, names=names)
        idp = {
            r.name
            for r in session.exec(select(ConnectorConfig))
            if r.name in chosen and is_identity_provider(r)
        }
    ordered = sorted(chosen, key=lambda n: (n not in idp, chosen.index(n)))
    return [
        sync_connector(
            engine=engine, settings=settings, name=n, connector_options=connector_options
        )
        for n in ordered
    ]
