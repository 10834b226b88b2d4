"""One alerts run: plan what is due, queue it (deduplicated) in one transaction, deliver.

Queueing and the free-seat crossing state commit together, before any SMTP traffic: a
crash after the commit loses nothing (the next run delivers the rows), a crash before it
queued nothing (the next run plans the same e-mails again). Two runs at the same moment
queue each dedupe key once (INSERT … ON CONFLICT DO NOTHING waits for the other
transaction on PostgreSQL) and lease each row to one sender (``app.notify.service``).
A run also retries rows held back by an earlier SMTP failure without waiting out the
backoff (see :func:`retry_now`).

Each run (:func:`run_alerts`, :func:`run_digest`, :func:`run_spend_report`) starts by
resolving the effective notification settings — the environment's with the admins'
overrides from the Settings page — so every caller (the CLI, the scheduled jobs) sends
to the recipients and at the thresholds in effect now.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.core.db import session_scope
from app.core.settings import Settings
from app.notify import service as outbox
from app.notify.alerts import PlannedEmail, plan_renewal_alerts, plan_trial_alerts
from app.notify.digest import plan_digest, plan_spend_report
from app.notify.models import Notification
from app.notify.notification_settings import load_effective_settings
from app.notify.seat_alerts import plan_free_seat_alerts
from app.renewals.service import plan_escalations
from app.renewals.tasks import ensure_tasks


@dataclass
class PlannedLine:
    """What a run planned for one recipient and whether it was (would be) newly queued."""

    kind: str
    recipient: str
    subject: str
    dedupe_key: str
    queued: bool

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return dict(self.__dict__)


@dataclass
class RunReport:
    """What an alerts (or digest, or report) run planned, queued and delivered."""

    as_of: date
    dry_run: bool
    planned: list[PlannedLine] = field(default_factory=list)
    delivery: outbox.DeliveryReport | None = None

    @property
    def queued(self) -> int:
        """E-mails newly queued by this run."""
        return sum(1 for line in self.planned if line.queued)

    def summary(self) -> str:
        """One line for the job log and the CLI."""
        text = f"as of {self.as_of.isoformat()}: {len(self.planned)} due, {self.queued} queued"
        if self.dry_run:
            return f"dry run {text.replace(' queued', ' would be queued')}"
        if self.delivery is not None:
            d = self.delivery
            text += f"; sent {d.sent}, retrying {d.retrying}, given up {d.given_up}"
        return text

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        delivery = self.delivery
        return {
            "as_of": self.as_of.isoformat(),
            "dry_run": self.dry_run,
            "planned": [line.as_dict() for line in self.planned],
            "queued": self.queued,
            "delivery": None
            if delivery is None
            else {
                "sent": delivery.sent,
                "retrying": delivery.retrying,
                "given_up": delivery.given_up,
                "errors": delivery.errors or [],
            },
        }


Planner = Callable[[Session, bool], list[PlannedEmail]]


def alert_planners(settings: Settings, as_of: date) -> list[Planner]:
    """The daily alerts: renewals, escalations, trials, free seats."""
    return [
        lambda s, dry: plan_renewal_alerts(session=s, settings=settings, as_of=as_of),
        lambda s, dry: plan_escalations(session=s, settings=settings, as_of=as_of),
        lambda s, dry: plan_trial_alerts(session=s, settings=settings, as_of=as_of),
        lambda s, dry: plan_free_seat_alerts(session=s, settings=settings, dry_run=dry),
    ]


def queue_planned(
    *, session: Session, planned: list[PlannedEmail], now: datetime | None = None
) -> list[PlannedLine]:
    """Queue each planned e-mail unless its dedupe key exists."""
    lines = []
    for email in planned:
        queued = outbox.enqueue(
            session=session,
            kind=email.kind,
            recipient=email.recipient,
            subject=email.subject,
            text=email.text,
            html=email.html,
            attachments=email.attachments,
            dedupe_key=email.dedupe_key,
            now=now,
        )
        lines.append(
            PlannedLine(email.kind, email.recipient, email.subject, email.dedupe_key, queued)
        )
    return lines


def run_planners(
    *,
    engine: Engine,
    settings: Settings,
    as_of: date,
    planners: list[Planner],
    dry_run: bool = False,
    deliver: bool = True,
    created_at: datetime | None = None,
    prepare: Callable[[Session], object] | None = None,
) -> RunReport:
    """Plan with each planner, queue in one transaction (unless dry run), then deliver."""
    report = RunReport(as_of=as_of, dry_run=dry_run)
    if dry_run:
        with Session(engine) as session:
            for planner in planners:
                for email in planner(session, True):
                    exists = session.exec(
                        select(Notification.id).where(Notification.dedupe_key == email.dedupe_key)
                    ).first()
                    report.planned.append(
                        PlannedLine(
                            email.kind,
                            email.recipient,
                            email.subject,
                            email.dedupe_key,
                            exists is None,
                        )
                    )
            session.rollback()
        return report
    with session_scope(engine) as session:
        if prepare is not None:
            prepare(session)
        for planner in planners:
            report.planned.extend(
                queue_planned(session=session, planned=planner(session, False), now=created_at)
            )
    if deliver:
        retry_now(engine=engine)
        report.delivery = outbox.deliver_due(engine=engine, settings=settings)
    return report


def retry_now(*, engine: Engine) -> int:
    """Make pending rows waiting out a backoff due now; how many.

    A run of ``alerts send`` (or the daily job) is a deliberate delivery attempt, so
    e-mails held back after an SMTP outage go out on the next run once the server is
    back, rather than after the backoff. Leases are untouched: a row another process
    is sending stays its own.
    """
    table = Notification.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        result = conn.execute(
            sa.update(table)
            .where(table.c.status == "pending", table.c.next_attempt_at.is_not(None))
            .values(next_attempt_at=None)
        )
    return int(result.rowcount or 0)


def run_alerts(
    *,
    engine: Engine,
    settings: Settings,
    as_of: date,
    dry_run: bool = False,
    deliver: bool = True,
) -> RunReport:
    """The daily alerts run (``seatwise alerts send`` and the ``alerts`` job)."""
    settings = load_effective_settings(engine=engine, settings=settings)
    return run_planners(
        engine=engine,
        settings=settings,
        as_of=as_of,
        planners=alert_planners(settings, as_of),
        dry_run=dry_run,
        deliver=deliver,
        prepare=lambda s: ensure_tasks(session=s, as_of=as_of),
    )


def run_digest(
    *, engine: Engine, settings: Settings, now: datetime, dry_run: bool = False
) -> RunReport:
    """The weekly findings digest."""
    settings = load_effective_settings(engine=engine, settings=settings)
    return run_planners(
        engine=engine,
        settings=settings,
        as_of=now.astimezone(settings.tz).date(),
        planners=[lambda s, dry: plan_digest(session=s, settings=settings, now=now)],
        dry_run=dry_run,
        created_at=now,
    )


def run_spend_report(
    *, engine: Engine, settings: Settings, as_of: date, dry_run: bool = False
) -> RunReport:
    """The monthly spend report to finance."""
    settings = load_effective_settings(engine=engine, settings=settings)
    return run_planners(
        engine=engine,
        settings=settings,
        as_of=as_of,
        planners=[lambda s, dry: plan_spend_report(session=s, settings=settings, as_of=as_of)],
        dry_run=dry_run,
    )
