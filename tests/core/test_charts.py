"""Chart figures show names as text: plotly never reads markup out of a name."""

from __future__ import annotations

import json

from app.core import charts

LINK = '<a href="https://evil.example/phish">Zoom</a>'


def test_a_name_with_a_link_is_shown_verbatim_not_as_a_link() -> None:
    # Plotly draws <a href>, <span style>, <b>... in labels as markup: a vendor named so
    # in an import put a link to anywhere in the spend chart.
    figure = charts.bar(
        [f"App{LINK}", "Slack"], [10, 5], title=LINK, y_title=LINK, links={f"App{LINK}": "/x"}
    )
    written = json.dumps(figure)
    assert "<a" not in written and "<" not in written
    assert (
        figure["data"][0]["x"][0] == 'App&lt;a href="https://evil.example/phish"&gt;Zoom&lt;/a&gt;'
    )
    # A click reports the bar's label as drawn: the link behind it still follows.
    assert figure["links"] == {figure["data"][0]["x"][0]: "/x"}


def test_line_series_names_and_axis_values_are_text_too() -> None:
    figure = charts.lines(["2026-01", f"M{LINK}"], {f"Dept{LINK}": [1, 2]}, title=LINK)
    assert "<" not in json.dumps(figure)
    assert figure["data"][0]["x"][0] == "2026-01"


def test_plain_names_are_unchanged_and_ampersands_still_read_as_one() -> None:
    figure = charts.bar(["Microsoft 365", "AT&T"], [1, 2])
    # Plotly decodes entities when it draws the label: "AT&amp;T" shows as "AT&T".
    assert figure["data"][0]["x"] == ["Microsoft 365", "AT&amp;T"]
