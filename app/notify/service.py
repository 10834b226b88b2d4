"""The outbox: every e-mail is first a row (deduplicated by key), then delivered over SMTP.

Delivery guarantee: a row is *claimed* with a lease by one worker (an atomic conditional
UPDATE, safe between processes on PostgreSQL and SQLite), its lease renewed right before
it is sent (a row whose lease ran out while the batch was slow is skipped: another worker
may hold it now), sent, then marked sent. Two workers never hold the same row, so
nothing is sent twice in normal operation. An SMTP server that cannot be reached never
makes a row give up: it waits, with backoff, until the server is back. If a
worker dies after the SMTP server accepted a message but before marking it sent, the
lease expires and the row is sent again: we chose **at-least-once**, because a renewal
alert that never arrives costs a missed notice deadline while a rare duplicate costs a
second read; the stable Message-ID (derived from the dedupe key) lets mail systems
collapse that duplicate.

A row that cannot be built or sent for any reason — not only SMTP's — fails alone: it is
marked (retried with backoff, or given up, with the reason) and the other rows, of this
batch and of later runs, go on.
"""

from __future__ import annotations

import base64
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.core.db import utcnow
from app.core.mail import Attachment, MailError, build_message, send_message
from app.core.settings import Settings
from app.notify.models import Notification

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=1)
FIRST_BACKOFF = timedelta(minutes=1)


@dataclass
class DeliveryReport:
    """What one delivery pass did."""

    sent: int = 0
    retrying: int = 0
    given_up: int = 0
    errors: list[str] | None = None

    def problem(self) -> str | None:
        """One line when any e-mail of this pass was not delivered, else None.

        The rows stay in the outbox (retried with backoff, or given up with the reason),
        so nothing is lost; but a cron job or the scheduler's record must show that mail
        did not go out: a notice deadline may hang on it.
        """
        if not self.errors:
            return None
        return (
            f"{len(self.errors)} e-mail(s) not delivered ({self.retrying} will be retried, "
            f"{self.given_up} given up)"
        )


class DeliveryProblem(RuntimeError):
    """A scheduled e-mail job queued its mail but could not deliver some of it."""


def encode_attachments(attachments: list[Attachment]) -> list[dict[str, Any]]:
    """Attachments as JSON-storable dicts."""
    return [
        {
            "filename": a.filename,
            "mime_type": a.mime_type,
            "content_b64": base64.b64encode(a.content).decode(),
        }
        for a in attachments
    ]


def _decode_attachments(rows: list[dict[str, Any]]) -> list[Attachment]:
    return [
        Attachment(
            r["filename"],
            base64.b64decode(r["content_b64"]),
            r.get("mime_type", "application/octet-stream"),
        )
        for r in rows
    ]


def enqueue(
    *,
    session: Session,
    kind: str,
    recipient: str,
    subject: str,
    text: str,
    dedupe_key: str,
    html: str | None = None,
    attachments: list[Attachment] | None = None,
    now: datetime | None = None,
) -> bool:
    """Queue an e-mail unless one with the same dedupe key exists; True when queued."""
    values = {
        "kind": kind,
        "recipient": recipient.strip().lower(),
        "subject": subject,
        "body_text": text,
        "body_html": html,
        "attachments": encode_attachments(attachments or []),
        "dedupe_key": dedupe_key,
        "status": "pending",
        "attempts": 0,
        "created_at": now or utcnow(),
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = Notification.__table__  # type: ignore[attr-defined]
    statement = (
        insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(table.c.id)
    )
    return session.connection().execute(statement).first() is not None


def _backoff(attempts: int) -> timedelta:
    return min(FIRST_BACKOFF * (1 << max(attempts - 1, 0)), MAX_BACKOFF)


def claim(*, engine: Engine, worker: str, now: datetime, limit: int = 50) -> list[int]:
    """Atomically lease up to ``limit`` due rows to ``worker``; returns their ids."""
    table = Notification.__table__  # type: ignore[attr-defined]
    free = sa.or_(table.c.claimed_until.is_(None), table.c.claimed_until < now)
    due = sa.or_(table.c.next_attempt_at.is_(None), table.c.next_attempt_at <= now)
    candidates = (
        sa.select(table.c.id)
        .where(table.c.status == "pending", due, free)
        .order_by(table.c.id)
        .limit(limit)
        .scalar_subquery()
    )
    until = now + LEASE
    with engine.begin() as conn:
        conn.execute(
            sa.update(table)
            .where(table.c.id.in_(candidates), table.c.status == "pending", free)
            .values(claimed_by=worker, claimed_until=until)
        )
        rows = conn.execute(
            sa.select(table.c.id).where(table.c.claimed_by == worker, table.c.status == "pending")
        )
        return [row.id for row in rows]


def deliver_due(
    *, engine: Engine, settings: Settings, now: datetime | None = None, limit: int = 50
) -> DeliveryReport:
    """Send every due e-mail once; failures are retried later with backoff, then given up."""
    report = DeliveryReport(errors=[])
    worker = secrets.token_hex(8)
    while True:
        current = now or utcnow()
        ids = claim(engine=engine, worker=worker, now=current, limit=limit)
        if not ids:
            return report
        for notification_id in ids:
            _deliver_one(
                engine=engine,
                settings=settings,
                worker=worker,
                notification_id=notification_id,
                report=report,
                now=now,
            )
        if now is not None:
            # A fixed clock would re-claim rows retried "now"; one pass is enough.
            return report


def _renew_lease(*, engine: Engine, worker: str, notification_id: int, now: datetime) -> bool:
    """Extend this worker's lease on a row right before sending it; False if it lapsed.

    A batch is leased at once, and sending it may take longer than the lease (a slow
    server): a row whose lease ran out may have been claimed by another worker, so it is
    skipped. A renewed row stays ours for a whole ``LEASE``, far longer than one send
    (bounded by the SMTP timeout), so two workers never send it both.
    """
    table = Notification.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        renewed = conn.execute(
            sa.update(table)
            .where(
                table.c.id == notification_id,
                table.c.claimed_by == worker,
                table.c.status == "pending",
                table.c.claimed_until > now,
            )
            .values(claimed_until=now + LEASE)
        )
        return bool(renewed.rowcount)


def _deliver_one(
    *, engine: Engine, settings: Settings, worker: str, notification_id: int,
    report: DeliveryReport, now: datetime | None = None,
) -> None:  # fmt: skip
    if not _renew_lease(
        engine=engine, worker=worker, notification_id=notification_id, now=now or utcnow()
    ):
        return
    with Session(engine, expire_on_commit=False) as session:
        row = session.get(Notification, notification_id)
        if row is None or row.claimed_by != worker or row.status != "pending":
            return
        try:
            message = build_message(
                settings=settings,
                recipient=row.recipient,
                subject=row.subject,
                text=row.body_text,
                html=row.body_html,
                attachments=_decode_attachments(row.attachments),
                message_id_seed=f"seatwise.{row.id}.{row.dedupe_key}",
                kind=row.kind,
            )
            send_message(settings, message)
        except MailError as exc:
            _failed(row=row, exc=exc, settings=settings, report=report)
            session.commit()
            return
        except Exception as exc:
            # A row that cannot be built or sent (a bug, or data the mail code cannot
            # take) fails alone: it is retried, then given up, with the reason; the other
            # rows of the batch and the next runs go on.
            log.exception("outbox row %s (%s) could not be built or sent", row.id, row.kind)
            problem = MailError(
                f"could not build or send this e-mail: {exc.__class__.__name__}: {exc}",
                permanent=False,
            )
            _failed(row=row, exc=problem, settings=settings, report=report)
            session.commit()
            return
        row.attempts += 1
        row.status = "sent"
        row.sent_at = utcnow()
        row.error = None
        row.claimed_by = None
        row.claimed_until = None
        session.commit()
        report.sent += 1


def _failed(
    *, row: Notification, exc: MailError, settings: Settings, report: DeliveryReport
) -> None:
    """Record a failed attempt: retried later with backoff, or given up with the reason."""
    row.attempts += 1
    row.error = str(exc)
    row.claimed_by = None
    row.claimed_until = None
    # An outage loses nothing: the row waits (backoff capped at an hour) until the
    # server is back. Only a server's own refusals count towards giving up.
    if exc.permanent or (not exc.outage and row.attempts >= settings.smtp_max_attempts):
        row.status = "failed"
        row.error = f"gave up after {row.attempts} attempt(s): {exc}"
        report.given_up += 1
    else:
        row.next_attempt_at = utcnow() + _backoff(row.attempts)
        report.retrying += 1
    assert report.errors is not None
    report.errors.append(f"{row.recipient}: {exc}")


def list_outbox(
    *, session: Session, status: str | None = None, limit: int = 500
) -> list[Notification]:
    """Outbox rows, newest first."""
    query = select(Notification).order_by(col(Notification.id).desc()).limit(limit)
    if status:
        query = query.where(Notification.status == status)
    return list(session.exec(query))
