"""The leader's scheduler: which jobs it keeps, when they come due, what a new leader does."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from datetime import time as clock

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlmodel import Session, col, select

from app.core.db import utcnow
from app.jobs import INTERRUPTED, SchedulerService, job_specs, last_started
from app.notify import notification_settings as ns
from app.notify.models import JobRun
from tests.conftest import Database
from tests.notify.seed import HeldLock, opened, settings_for

SETTINGS = settings_for(25)


@contextmanager
def _paused_leader(db: Database) -> Iterator[SchedulerService]:
    """A leading service whose scheduler holds its jobs without running them."""
    service = SchedulerService(db.engine, SETTINGS, lock=HeldLock())
    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.start(paused=True)
    service._scheduler = scheduler
    try:
        yield service
    finally:
        scheduler.shutdown(wait=False)
        service._scheduler = None


def test_outbox_retry_job_fires_every_five_minutes_whenever_its_trigger_was_built(
    session: Session,
) -> None:
    """The scheduler rebuilds its jobs on every poll: a trigger that started counting
    when it was built would be five minutes away on every poll, and never fire."""
    moment = datetime(2027, 1, 4, 8, 2, 30, tzinfo=UTC)
    outbox = {spec.id: spec for spec in job_specs(session=session, settings=SETTINGS)}["outbox"]
    assert outbox.trigger.get_next_fire_time(None, moment) == datetime(2027, 1, 4, 8, 5, tzinfo=UTC)


def test_a_poll_leaves_a_due_job_alone_when_another_schedule_changes(
    committed_db: Database,
) -> None:
    """Replacing an unchanged job recomputes its next run from now: a poll landing just
    after its fire time, before the scheduler ran it, would skip that day's run."""
    with _paused_leader(committed_db) as service:
        assert service._scheduler is not None
        service._tick()
        due = utcnow() - timedelta(seconds=1)
        service._scheduler.modify_job("alerts", next_run_time=due)
        with opened(committed_db.engine) as s:
            ns.update_notification_settings(
                session=s, settings=SETTINGS, values={"spend_report_schedule": "0 9 2 * *"},
                actor="t",
            )  # fmt: skip
        service._tick()
        alerts = service._scheduler.get_job("alerts")
        assert alerts is not None and alerts.next_run_time == due
        report = service._scheduler.get_job("spend_report")
        assert report is not None and "day='2', day_of_week='*', hour='9'" in repr(report.trigger)


def _run(job: str, *, started: datetime, outcome: str = "succeeded") -> JobRun:
    finished = None if outcome == "running" else started + timedelta(seconds=1)
    return JobRun(job=job, started_at=started, finished_at=finished, outcome=outcome)


def _runs(db: Database, job: str) -> list[JobRun]:
    with Session(db.engine) as s:
        query = select(JobRun).where(JobRun.job == job).order_by(col(JobRun.id))
        return list(s.exec(query))


@contextmanager
def _leading(db: Database) -> Iterator[SchedulerService]:
    """A service that has just become the leader, its scheduler running."""
    service = SchedulerService(db.engine, SETTINGS, lock=HeldLock())
    try:
        service._tick()
        assert service.is_leader
        yield service
    finally:
        service._step_down()


def _until(predicate: Callable[[], bool]) -> bool:
    """Wait for what a scheduler thread does; False if it never happens."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_a_new_leader_marks_interrupted_the_runs_a_dead_leader_left_running(
    committed_db: Database,
) -> None:
    with opened(committed_db.engine) as s:
        s.add(_run("alerts", started=utcnow() - timedelta(minutes=3), outcome="running"))
    with _leading(committed_db):
        (run,) = _runs(committed_db, "alerts")
    assert run.outcome == "failed"
    assert run.detail == INTERRUPTED and run.finished_at is not None


def test_a_new_leader_runs_at_once_a_job_whose_time_passed_while_none_led(
    committed_db: Database,
) -> None:
    """The monthly spend report (1st, 07:00) last ran over a month ago: its time came while
    no process led (restarted around it, or the leader killed just before); waiting for
    the next would never send that month's report."""
    with opened(committed_db.engine) as s:
        s.add(_run("spend_report", started=utcnow() - timedelta(days=40)))
        s.add(_run("digest", started=utcnow()))  # ran just now: not due
    with _leading(committed_db) as service:
        assert _until(lambda: len(_runs(committed_db, "spend_report")) == 2)
        assert service._scheduler is not None
        digest = service._scheduler.get_job("digest")
        assert digest is not None and digest.next_run_time > utcnow()
    assert len(_runs(committed_db, "digest")) == 1


def test_a_new_leader_runs_again_a_job_its_dead_predecessor_left_unfinished(
    committed_db: Database,
) -> None:
    with opened(committed_db.engine) as s:
        s.add(_run("spend_report", started=utcnow() - timedelta(days=40)))
        s.add(_run("spend_report", started=utcnow() - timedelta(minutes=1), outcome="running"))
    with _leading(committed_db):
        assert _until(lambda: len(_runs(committed_db, "spend_report")) == 3)
        assert _until(lambda: _runs(committed_db, "spend_report")[2].outcome != "running")
    _, interrupted, again = _runs(committed_db, "spend_report")
    assert interrupted.detail == INTERRUPTED
    assert again.outcome == "succeeded", again.detail
    with Session(committed_db.engine) as s:  # the next leader counts that run, not the mark
        assert last_started(session=s)["spend_report"] == again.started_at


def test_alerts_moved_to_a_time_already_past_today_run_at_once_unless_they_ran_today(
    committed_db: Database,
) -> None:
    """Moved from later today to earlier: today's run would be skipped to tomorrow."""
    now = utcnow()
    if not clock(0, 3) <= now.time() <= clock(23, 56):
        pytest.skip("needs three distinct minutes of today before and one after the clock")
    later = (now + timedelta(minutes=2)).replace(second=0, microsecond=0)
    with opened(committed_db.engine) as s:
        s.add(_run("alerts", started=later - timedelta(days=1) + timedelta(seconds=1)))
        ns.update_notification_settings(
            session=s, settings=SETTINGS, values={"alerts_time": f"{later:%H:%M}"}, actor="t"
        )
    with _paused_leader(committed_db) as service:
        assert service._scheduler is not None
        service._tick()
        alerts = service._scheduler.get_job("alerts")
        assert alerts is not None and alerts.next_run_time > utcnow()
        earlier = (now - timedelta(minutes=1)).strftime("%H:%M")
        with opened(committed_db.engine) as s:
            ns.update_notification_settings(
                session=s, settings=SETTINGS, values={"alerts_time": earlier}, actor="t"
            )
        service._tick()
        alerts = service._scheduler.get_job("alerts")
        assert alerts is not None and alerts.next_run_time <= utcnow()
        # Another time past today (the same one would change no schedule), after which
        # the job has run.
        even_earlier = (now - timedelta(minutes=2)).strftime("%H:%M")
        with opened(committed_db.engine) as s:
            s.add(_run("alerts", started=utcnow()))
            ns.update_notification_settings(
                session=s, settings=SETTINGS, values={"alerts_time": even_earlier}, actor="t"
            )
        service._tick()  # it ran today after the new time: tomorrow, as scheduled
        alerts = service._scheduler.get_job("alerts")
        assert alerts is not None and alerts.next_run_time > utcnow()
