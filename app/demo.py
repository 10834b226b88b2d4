"""`seatwise demo`: a fresh SQLite database, a demo admin, the sandbox company, served.

Each step calls the same services the real commands use, so the demo proves the product.
"""

from __future__ import annotations

import importlib
import os
import secrets
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from app.auth import service as auth_service
from app.core import migrate
from app.core.cli_db import check_bindable
from app.core.cli_runtime import state
from app.core.db import make_engine, session_scope
from app.core.settings import Settings

# Steps after the admin is created, in order: "module:function", each taking a DemoContext.
DEMO_STEPS: list[str] = [
    "app.sync.demo:start_and_sync_sandboxes",
    "app.inventory.demo:import_demo_contracts",
    "app.spend.demo:store_demo_fx_rates",
    "app.findings.demo:analyze_demo",
]


@dataclass
class DemoContext:
    """What demo steps share: the database, settings, a work directory, and the sandboxes."""

    engine: Any
    settings: Settings
    directory: Path
    today: date
    extras: dict[str, Any] = field(default_factory=dict)

    def say(self, message: str) -> None:
        """Print a progress line."""
        typer.echo(f"demo: {message}")


DEMO_DIR = Path(".demo")
ADMIN_EMAIL = "admin@seatwise.example"


def _prepare_environment(directory: Path) -> str:
    """Point settings at the demo directory; keep one secret key across demo runs."""
    directory.mkdir(parents=True, exist_ok=True)
    key_file = directory / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    db_path = directory / "seatwise.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{db_path.resolve()}"
    os.environ["SEATWISE_DATABASE_URL"] = url
    os.environ["SEATWISE_SECRET_KEY"] = key_file.read_text().strip()
    state._settings = None
    state._engine = None
    return url


def run_steps(context: DemoContext) -> None:
    """Run every demo step in order (the demo command and `make screenshots` share them)."""
    for step in DEMO_STEPS:
        module_name, _, function_name = step.partition(":")
        getattr(importlib.import_module(module_name), function_name)(context)


def register(app: typer.Typer) -> None:
    """Add `demo`."""

    @app.command("demo")
    def demo(
        host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(min=1, max=65535, help="Port to serve on.")] = 8000,
        serve: Annotated[bool, typer.Option(help="Serve the UI when ready.")] = True,
    ) -> None:
        """Build a demo company from the vendor sandboxes and serve it."""
        if serve:  # a taken port is said now, not after the whole company is built
            check_bindable(host, port)
        url = _prepare_environment(DEMO_DIR)
        engine = make_engine(url)
        migrate.upgrade(engine)
        password = secrets.token_urlsafe(12)
        with session_scope(engine) as session:
            auth_service.create_user(
                session=session, email=ADMIN_EMAIL, role="admin", password=password, actor="demo"
            )
        context = DemoContext(
            engine=engine, settings=state.settings, directory=DEMO_DIR, today=date.today()
        )
        run_steps(context)
        engine.dispose()
        typer.echo("")
        typer.echo("Seatwise demo is ready.")
        typer.echo(f"  Open:     http://{host}:{port}/")
        typer.echo(f"  Login:    {ADMIN_EMAIL}")
        typer.echo(f"  Password: {password}")
        typer.echo("")
        if not serve:
            return
        import uvicorn

        from app.main import create_app

        uvicorn.run(
            create_app(state.settings, state.engine), host=host, port=port, log_level="warning"
        )
