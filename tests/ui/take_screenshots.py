"""Save a PNG of every page, on the demo company, under docs/screenshots/ (``make screenshots``)."""

from __future__ import annotations

import sys
import tempfile
from datetime import date
from pathlib import Path

from sqlmodel import Session

from app.auth.models import User
from app.core import migrate
from app.core.db import make_engine
from app.core.security import hash_password
from app.core.settings import Settings
from app.demo import DemoContext, run_steps
from app.main import create_app
from tests.ui.browser import CHROMIUM, CHROMIUM_ARGS, serve

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PAGES = {
    "dashboard": "/",
    "applications": "/applications",
    "application": "/applications/1",
    "people": "/people",
    "findings": "/findings",
    "renewals": "/renewals",
    "spend": "/spend",
    "contracts": "/contracts",
    "connectors": "/connectors",
    "connector-add": "/connectors/new?kind=microsoft365",
    "settings": "/settings",
}


def main() -> int:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/shots.db"
        engine = make_engine(url)
        migrate.upgrade(engine)
        settings = Settings(database_url=url, secret_key="s" * 40, environment="test")
        context = DemoContext(
            engine=engine, settings=settings, directory=Path(tmp), today=date.today()
        )
        run_steps(context)  # the demo company: sandboxes synced, contracts, analysis
        with Session(engine) as s:
            s.add(
                User(
                    email="admin@example.com",
                    role="admin",
                    password_hash=hash_password("screenshots"),
                )
            )
            s.commit()
        app = create_app(settings, engine)
        with serve(app) as base, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            page.goto(f"{base}/login")
            page.fill("#email", "admin@example.com")
            page.fill("#password", "screenshots")
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}/")
            for name, path in PAGES.items():
                page.goto(f"{base}{path}")
                page.wait_for_timeout(300)
                page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
                print(f"saved docs/screenshots/{name}.png")
            browser.close()
        boxes = context.extras.get("sandboxes")
        if boxes is not None:
            boxes.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
