"""The days a request, a command or an imported file may name: years 1900 to 2999.

Rules reckon windows from a day (a year back, months and notice periods ahead, the
month's end); from a day near Python's limits (year 1 or 9999) those windows fall
outside the dates Python holds, and the request would end in a 500, or in thousands of
findings about a day no one means. One bound, the months' bound of the spend reports,
serves every date input: the API's fields (:data:`Day`), the CLI's options
(:func:`app.core.cli_runtime.parse_day`) and the importers' cells.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator

from analytics.spend import FIRST_YEAR, LAST_YEAR

DAY_RANGE = f"the year must be from {FIRST_YEAR} to {LAST_YEAR}"
"""Why a day outside the bound is refused, in the words the CLI and the API both use."""


def check_day(day: date) -> date:
    """Return ``day`` when its year is within the bound.

    Raises:
        ValueError: The year is before 1900 or after 2999 (pydantic turns it into a 422).
    """
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError(f"{day.isoformat()}: {DAY_RANGE}")
    return day


Day = Annotated[date, AfterValidator(check_day)]
"""A ``YYYY-MM-DD`` field of a request: an impossible date or an unbounded year is a 422."""
