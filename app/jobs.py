"""The scheduler: APScheduler 3 jobs run by the elected leader process only.

Jobs: sync each enabled connector on its own cron schedule (then analyze after a
successful sync), alerts daily at ``SEATWISE_ALERTS_TIME`` local time, the weekly
findings digest and the monthly spend report (those three times as an admin may have
changed them on the Settings page). Every run is recorded in ``job_run``.

A process that becomes the leader marks interrupted the runs its predecessor left
'running', and runs at once each job whose time came since its last run ended (it came
while no process led, or that run was interrupted); the e-mails' dedupe keys make a run
repeated this way send nothing twice.
"""

from __future__ import annotations

import importlib
import logging
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.core.db import session_scope, utcnow
from app.core.leader import LeaderLock, leader_lock_for
from app.core.settings import Settings
from app.notify.models import JobRun
from app.notify.notification_settings import effective_settings
from app.sync.models import ConnectorConfig

log = logging.getLogger("seatwise.jobs")

JobFunc = Callable[[Engine, Settings], str | None]

OUTBOX_EVERY_FROM = datetime(2000, 1, 1, tzinfo=UTC)
"""Where the outbox job's five-minute grid starts: a fixed moment, so the trigger built on
each poll is the same trigger (by default an interval starts one interval after it is
built, and a trigger rebuilt every poll would never come due)."""


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job: its id, when it runs, and what it calls.

    ``schedule`` says when in words or crontab, for the Settings page and ``jobs list``.
    """

    id: str
    trigger: BaseTrigger
    func: JobFunc
    schedule: str = ""


def _call(path: str) -> Callable[..., str | None]:
    module_name, _, attr = path.partition(":")
    func: Callable[..., str | None] = getattr(importlib.import_module(module_name), attr)
    return func


def run_recorded(engine: Engine, settings: Settings, job_id: str, func: JobFunc) -> JobRun:
    """Run a job, recording start, end, outcome and a one-line detail; never raises."""
    with Session(engine, expire_on_commit=False) as session:
        run = JobRun(job=job_id, started_at=utcnow())
        session.add(run)
        session.commit()
        try:
            detail = func(engine, settings)
            run.outcome, run.detail = "succeeded", detail
        except Exception as exc:
            log.error("job %s failed: %s\n%s", job_id, exc, traceback.format_exc())
            run.outcome, run.detail = "failed", f"{exc.__class__.__name__}: {exc}"
        run.finished_at = utcnow()
        session.add(run)
        session.commit()
        return run


INTERRUPTED = (
    "interrupted: the process running it ended before it finished (killed, or its machine "
    "stopped) or lost the scheduler lock; the next leader runs it again if its time passed"
)


def close_interrupted_runs(*, session: Session) -> int:
    """Mark failed the job runs still 'running' as this process becomes the leader; how many.

    Only the leader runs jobs, and the lock is free only once the previous leader died or
    lost its database connection: its runs would stay 'running' for good. One that lost
    only its connection and is still finishing records its own outcome over this mark.
    """
    result = session.execute(
        sa.update(JobRun)
        .where(col(JobRun.outcome) == "running")
        .values(outcome="failed", detail=INTERRUPTED, finished_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def last_started(*, session: Session) -> dict[str, datetime]:
    """When each job's latest run that ended on its own started: interrupted runs are
    left out, so a new leader runs their job again."""
    ended = sa.and_(
        col(JobRun.outcome) != "running",
        sa.or_(col(JobRun.detail).is_(None), ~col(JobRun.detail).startswith("interrupted:")),
    )
    rows = session.exec(
        select(JobRun.job, sa.func.max(col(JobRun.started_at))).where(ended).group_by(JobRun.job)
    )
    return {job: started for job, started in rows if started is not None}


def missed_since(spec: JobSpec, started: datetime | None, now: datetime) -> bool:
    """Whether ``spec`` should have fired after its last run started (at ``started``)."""
    if started is None:
        return False
    due = spec.trigger.get_next_fire_time(None, started + timedelta(seconds=1))
    return due is not None and due <= now


def _sync_then_analyze(name: str) -> JobFunc:
    def job(engine: Engine, settings: Settings) -> str | None:
        detail = _call("app.sync.jobs:sync_job")(engine, settings, name)
        analyzed = _call("app.findings.jobs:analyze_job")(engine, settings)
        return f"{detail}; {analyzed}"

    return job


def _named(path: str) -> JobFunc:
    def job(engine: Engine, settings: Settings) -> str | None:
        return _call(path)(engine, settings)

    return job


def build_jobs(engine: Engine, settings: Settings) -> list[JobSpec]:
    """Every job to schedule now, from what is in the database at this moment."""
    with Session(engine) as session:
        return job_specs(session=session, settings=settings)


def job_specs(*, session: Session, settings: Settings) -> list[JobSpec]:
    """Every job to schedule now.

    E-mail schedules are the effective notification settings (an admin may have changed
    them on the Settings page) and connector schedules are read from their rows, so the
    scheduler, which calls this on each poll, picks changes up without a restart.
    """
    settings = effective_settings(session=session, settings=settings)
    tz = settings.tz
    hour, _, minute = settings.alerts_time.partition(":")
    specs = [
        JobSpec(
            "alerts",
            CronTrigger(hour=int(hour), minute=int(minute or 0), timezone=tz),
            _named("app.notify.jobs:alerts_job"),
            f"daily at {settings.alerts_time}",
        ),
        JobSpec(
            "outbox",
            IntervalTrigger(minutes=5, start_date=OUTBOX_EVERY_FROM, timezone=tz),
            _named("app.notify.jobs:deliver_job"),
            "every 5 minutes",
        ),
        JobSpec(
            "digest",
            CronTrigger.from_crontab(settings.digest_schedule, timezone=tz),
            _named("app.notify.jobs:digest_job"),
            settings.digest_schedule,
        ),
        JobSpec(
            "spend_report",
            CronTrigger.from_crontab(settings.spend_report_schedule, timezone=tz),
            _named("app.notify.jobs:spend_report_job"),
            settings.spend_report_schedule,
        ),
    ]
    connectors = session.exec(
        select(ConnectorConfig)
        .where(col(ConnectorConfig.enabled).is_(True))
        .where(col(ConnectorConfig.schedule).is_not(None))
        .order_by(col(ConnectorConfig.name))
    ).all()
    for connector in connectors:
        assert connector.schedule is not None
        try:
            trigger = CronTrigger.from_crontab(connector.schedule, timezone=tz)
        except ValueError as exc:
            log.error(
                "connector %s has an invalid schedule %r: %s",
                connector.name,
                connector.schedule,
                exc,
            )
            continue
        specs.append(
            JobSpec(
                f"sync:{connector.name}",
                trigger,
                _sync_then_analyze(connector.name),
                connector.schedule,
            )
        )
    return specs


@dataclass
class SchedulerService:
    """Runs jobs while this process is the leader; polls to take over when it is not."""

    engine: Engine
    settings: Settings
    poll_seconds: float = 15.0
    lock: LeaderLock | None = None
    on_leader_change: Callable[[bool], None] | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _scheduler: BackgroundScheduler | None = None
    _triggers: dict[str, str] = field(default_factory=dict)

    @property
    def is_leader(self) -> bool:
        """Whether this process currently runs the jobs."""
        return self._scheduler is not None

    def start(self) -> None:
        """Start the election loop in a daemon thread."""
        self.lock = self.lock or leader_lock_for(self.engine)
        self._thread = threading.Thread(target=self.run, name="seatwise-leader", daemon=True)
        self._thread.start()

    def run(self) -> None:
        """The election loop (blocking): lead while the lock is held, else poll."""
        self.lock = self.lock or leader_lock_for(self.engine)
        while not self._stop.is_set():
            try:
                self._tick()
            except Exception as exc:
                log.error("scheduler election failed: %s", exc)
                self._step_down()
            self._stop.wait(self.poll_seconds)
        self._step_down()

    def _tick(self) -> None:
        assert self.lock is not None
        if self._scheduler is not None:
            if not self.lock.still_held():
                log.warning("lost the scheduler lock; stepping down")
                self._step_down()
                return
            self._refresh_jobs()
            return
        if self.lock.try_acquire():
            log.info("this process is now the scheduler leader")
            with session_scope(self.engine) as session:
                if closed := close_interrupted_runs(session=session):
                    log.warning("marked %s job run(s) of a previous leader interrupted", closed)
            self._scheduler = BackgroundScheduler(timezone=self.settings.tz)
            self._scheduler.start()
            self._refresh_jobs()
            if self.on_leader_change:
                self.on_leader_change(True)

    def _refresh_jobs(self) -> None:
        """Schedule the jobs of :func:`build_jobs`: add new ones, replace those whose
        trigger changed, drop those gone; a job whose trigger is unchanged is left alone
        (replacing it would recompute its next run from now, and a poll landing just
        after its fire time, before the scheduler ran it, would skip that run).

        A job added (as this process becomes the leader, or with a changed schedule)
        runs at once if its time came since its last run (:func:`last_started`): that
        time passed while no process led (the leader was killed or restarted around it,
        or its run was interrupted), or the schedule moved to before now (alerts moved
        from 09:00 to 08:00 at 08:30). Waiting for the next time would send a day's
        alerts a day late and never send that month's spend report.
        """
        assert self._scheduler is not None
        now = utcnow()
        specs = {spec.id: spec for spec in build_jobs(self.engine, self.settings)}
        last: dict[str, datetime] | None = None
        for job_id in set(self._triggers) - set(specs):
            self._scheduler.remove_job(job_id)
            del self._triggers[job_id]
        for spec in specs.values():
            trigger = repr(spec.trigger)
            if self._triggers.get(spec.id) == trigger:
                continue
            if spec.id in self._triggers:
                self._scheduler.remove_job(spec.id)
            if last is None:
                with Session(self.engine) as session:
                    last = last_started(session=session)
            missed = missed_since(spec, last.get(spec.id), now)
            self._scheduler.add_job(
                run_recorded,
                spec.trigger,
                args=(self.engine, self.settings, spec.id, spec.func),
                id=spec.id,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=3600,
                **({"next_run_time": now} if missed else {}),
            )
            self._triggers[spec.id] = trigger

    def _step_down(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
            self._triggers = {}
            if self.on_leader_change:
                self.on_leader_change(False)
        if self.lock is not None:
            self.lock.release()

    def stop(self) -> None:
        """Stop leading and polling."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)


def recent_runs(*, session: Session, limit: int = 50) -> list[JobRun]:
    """The latest job runs, newest first."""
    return list(session.exec(select(JobRun).order_by(col(JobRun.id).desc()).limit(limit)))


def next_runs(specs: list[JobSpec], now: datetime | None = None) -> dict[str, datetime | None]:
    """When each job fires next."""
    moment = now or utcnow()
    return {spec.id: spec.trigger.get_next_fire_time(None, moment) for spec in specs}
