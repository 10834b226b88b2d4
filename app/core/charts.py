"""Plotly figure JSON for the pages' charts (rendered in the browser by ``app.js``).

Figures are plain dicts; ``links`` maps a bar's label to the page behind it, so every
figure leads to its list.

Every text in a figure is escaped (:func:`plot_text`): plotly reads ``<a href>``,
``<span style>`` and other tags in labels, legends and titles as markup, so a vendor,
application or department name (from an import or a connector) could put a link to
anywhere in a chart.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

ACCENT = "#1f4fb8"


def plot_text(text: str) -> str:
    """``text`` as plotly shows it verbatim: its markup escaped (plotly decodes entities)."""
    return html.escape(str(text), quote=False)


def _num(value: Decimal | float | int) -> float:
    return round(float(value), 2)


def bar(
    labels: Sequence[str],
    values: Sequence[Decimal | float | int],
    *,
    title: str = "",
    links: Mapping[str, str] | None = None,
    horizontal: bool = False,
    y_title: str = "",
) -> dict[str, Any]:
    """A bar chart; horizontal bars read better with long labels."""
    trace: dict[str, Any] = {"type": "bar", "marker": {"color": ACCENT}}
    labels = [plot_text(label) for label in labels]
    if horizontal:
        trace.update(y=list(labels)[::-1], x=[_num(v) for v in values][::-1], orientation="h")
    else:
        trace.update(x=list(labels), y=[_num(v) for v in values])
    layout: dict[str, Any] = {
        "title": {"text": plot_text(title)},
        "yaxis": {"title": {"text": plot_text(y_title)}},
    }
    if horizontal:
        layout["margin"] = {"l": 140, "t": 30, "r": 10, "b": 40}
    # Keyed as the browser reports a clicked bar: by its (escaped) label.
    shown = {plot_text(label): href for label, href in (links or {}).items()}
    return {"data": [trace], "layout": layout, "links": shown}


def lines(
    x: Sequence[str],
    series: Mapping[str, Sequence[Decimal | float | int | None]],
    *,
    title: str = "",
    y_title: str = "",
) -> dict[str, Any]:
    """One line per series over the same x axis."""
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": plot_text(name),
            "x": [plot_text(v) for v in x],
            "y": [None if v is None else _num(v) for v in values],
        }
        for name, values in series.items()
    ]
    layout = {
        "title": {"text": plot_text(title)},
        "yaxis": {"title": {"text": plot_text(y_title)}, "rangemode": "tozero"},
        "legend": {"orientation": "h"},
    }
    return {"data": data, "layout": layout, "links": {}}
