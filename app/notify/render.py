"""E-mail rendering: one Jinja2 template pair (``.txt`` and ``.html``) per kind of e-mail.

HTML e-mails use tables and inline styles only (no stylesheet, no scripts, no images):
that is what Outlook, Gmail and Apple Mail all render the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app.core.templating import TEMPLATE_DIR


@dataclass(frozen=True)
class RenderedEmail:
    """A subject with its plain-text and HTML bodies."""

    subject: str
    text: str
    html: str


def money(value: Decimal | int | None, currency: str | None = None) -> str:
    """``1,234.50 EUR``; an em dash when unknown."""
    if value is None:
        return "—"
    text = f"{Decimal(str(value)):,.2f}"
    return f"{text} {currency}" if currency else text


def day(value: date | None) -> str:
    """ISO date with the weekday (``2027-03-01 (Mon)``); an em dash when unknown."""
    return f"{value.isoformat()} ({value:%a})" if value else "—"


def number(value: int | None) -> str:
    """A count, or an em dash when unknown."""
    return "—" if value is None else f"{value:,}"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR / "emails")),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["money"] = money
    env.filters["day"] = day
    env.filters["number"] = number
    return env


def render_email(template: str, subject: str, context: dict[str, Any]) -> RenderedEmail:
    """Render ``emails/<template>.txt`` and ``.html`` with ``context`` (and the subject)."""
    env = _environment()
    values = {**context, "subject": subject}
    text = env.get_template(f"{template}.txt").render(values)
    html = env.get_template(f"{template}.html").render(values)
    return RenderedEmail(subject=subject, text=text.strip() + "\n", html=html)
