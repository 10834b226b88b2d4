"""Demo step: analyze the sandbox company so the demo opens on real findings."""

from __future__ import annotations

from typing import Any

from app.core.db import session_scope
from app.findings.service import analyze


def analyze_demo(context: Any) -> None:
    """Run the analysis as of the demo's day and report what it found."""
    with session_scope(context.engine) as session:
        summary = analyze(session=session, settings=context.settings, today=context.today)
    data = summary.as_json()
    found = ", ".join(f"{n} {kind}" for kind, n in data["counts"].items()) or "nothing"
    savings = ", ".join(f"{v} {c}" for c, v in data["total_monthly_savings"].items()) or "0"
    context.say(f"analysis found {found}; monthly savings {savings}")
