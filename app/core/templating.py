"""Jinja2 templates (the shipped ``templates`` package) and the filters pages share."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

from fastapi.templating import Jinja2Templates

import templates as templates_package

TEMPLATE_DIR = Path(templates_package.__file__).parent


def _money(value: Decimal | float | int | None, currency: str | None = None) -> str:
    if value is None:
        return "—"
    text = f"{Decimal(str(value)):,.2f}"
    return f"{text} {currency}" if currency else text


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "—"


def make_templates() -> Jinja2Templates:
    """Build the template environment with Seatwise's filters."""
    templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
    templates.env.filters["money"] = _money
    templates.env.filters["when"] = _when
    return templates


templates = make_templates()
