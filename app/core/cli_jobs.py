"""`seatwise worker` and `seatwise jobs list`."""

from __future__ import annotations

import signal
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from app.core.cli_runtime import db_session, print_json, state
from app.core.settings import Settings

if TYPE_CHECKING:
    from app.jobs import SchedulerService


def announce_leadership(leading: bool) -> None:
    """Say on stdout when this process starts or stops running the jobs."""
    typer.echo("scheduler leader: this process" if leading else "scheduler: stepped down")
    sys.stdout.flush()


def start_scheduler(settings: Settings) -> SchedulerService | None:
    """The scheduler inside ``seatwise serve``, unless SEATWISE_SCHEDULER_ENABLED is false:
    a thread that runs the jobs while this process is the leader and stands by otherwise
    (several ``serve`` and ``worker`` processes elect one leader). None, saying why, when
    it does not run."""
    from app.core.leader import leader_lock_for
    from app.jobs import SchedulerService

    if not settings.scheduler_enabled:
        typer.echo(
            "scheduler: off in this process (SEATWISE_SCHEDULER_ENABLED=false); "
            "run `seatwise worker` for the scheduled syncs, alerts and reports"
        )
        return None
    try:
        lock = leader_lock_for(state.engine)
    except ValueError as exc:
        typer.echo(f"scheduler: off in this process: {exc}", err=True)
        return None
    service = SchedulerService(
        state.engine, settings, lock=lock, on_leader_change=announce_leadership
    )
    typer.echo("scheduler: standing by for leadership")
    sys.stdout.flush()
    service.start()
    return service


def stop_scheduler(service: SchedulerService) -> None:
    """Stop leading and polling; syncs queued for their turn end now, not after it."""
    from app.sync.turns import stop_waiting

    stop_waiting()
    service.stop()


def register(app: typer.Typer) -> None:
    """Add `worker` and the `jobs` group."""
    jobs = typer.Typer(help="Scheduled jobs.", no_args_is_help=True)
    app.add_typer(jobs, name="jobs")

    @app.command("worker")
    def worker(
        poll_seconds: Annotated[
            float,
            typer.Option(
                min=0.1, max=3600.0, help="How often a follower checks whether it can take over."
            ),
        ] = 15.0,
    ) -> None:
        """Run the job scheduler alone (exactly one process leads; others stand by)."""
        from app.jobs import SchedulerService

        service = SchedulerService(
            state.engine,
            state.settings,
            poll_seconds=poll_seconds,
            on_leader_change=announce_leadership,
        )

        def stop(*_: Any) -> None:
            from app.sync.turns import stop_waiting

            service._stop.set()
            stop_waiting()  # syncs queued for their turn end now, not after it

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        typer.echo("scheduler: standing by for leadership")
        sys.stdout.flush()
        service.run()

    @jobs.command("list")
    def list_(
        json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
        limit: Annotated[int, typer.Option(min=1, help="How many runs.")] = 50,
    ) -> None:
        """Recent job runs and when each job fires next."""
        from app.jobs import build_jobs, next_runs, recent_runs

        with db_session() as session:
            runs = recent_runs(session=session, limit=limit)
        upcoming = next_runs(build_jobs(state.engine, state.settings))
        if json_:
            print_json(
                {
                    "next": upcoming,
                    "runs": [r.model_dump(exclude={"id"}) for r in runs],
                }
            )
            return
        for job_id, when in upcoming.items():
            typer.echo(f"next  {job_id:30} {when.isoformat() if when else '—'}")
        for r in runs:
            typer.echo(f"{r.started_at:%Y-%m-%d %H:%M}  {r.job:30} {r.outcome:10} {r.detail or ''}")
