"""The dashboard's renewals panel lists what the renewals page lists: no trials, and its
count of the next 90 days links to a renewals list of exactly those."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlmodel import Session

from app.dashboard.views import upcoming_renewals
from tests.spend.spend_rows import application, contract
from tests.ui.conftest import Web, csrf_of

TODAY = date(2026, 12, 3)


def test_trials_are_left_out_of_the_renewals_panel(session: Session) -> None:
    app = application(session, "Miro", "Miro")
    for number, trial in (("MIRO-1", False), ("MIRO-TRIAL-1", True)):
        contract(
            session, app, number, start_date=TODAY - timedelta(days=20),
            renewal_date=TODAY + timedelta(days=10), is_trial=trial,
        )  # fmt: skip
    listed = [r["contract"] for r in upcoming_renewals(session=session, today=TODAY)]
    assert listed == ["MIRO-1"]


def _seed_window(web: Web) -> dict[str, int]:
    """Contracts in and out of the next 90 days, by renewal date or by notice deadline."""
    day = date.today()  # the pages read the clock
    cases = {  # contract: (renews in N days, notice days)
        "RENEWS-30": (30, 0),
        "NOTICE-IN-90": (200, 150),  # notice deadline in 50 days
        "RENEWS-90": (90, 0),  # the last day counts
        "NOTICE-LATER": (200, 30),  # notice deadline in 170 days
        "RENEWS-100": (100, 0),
        "NOTICE-PAST": (120, 125),  # deadline gone, renewal beyond 90 days
    }
    with Session(web.db.engine) as s:
        app = application(s, "Miro", "Miro")
        ids = {}
        for number, (days, notice) in cases.items():
            row = contract(
                s, app, number, start_date=day - timedelta(days=20),
                renewal_date=day + timedelta(days=days), notice_days=notice,
            )  # fmt: skip
            ids[number] = int(row.id or 0)
        s.commit()
    return ids


def _listed(html: str) -> set[int]:
    return {int(i) for i in re.findall(r'<tr id="renewal-(\d+)">', html)}


def test_the_dashboards_90_day_count_links_to_a_renewals_list_of_exactly_those(web: Web) -> None:
    ids = _seed_window(web)
    client = web.client("procurement")
    dashboard = client.get("/").text
    card = re.search(r'<a class="value" href="([^"]+)">(\d+)</a>\s*</div>', dashboard)
    assert card is not None and card.group(1) == "/renewals?within=90"
    with Session(web.db.engine) as s:
        counted = {r["id"] for r in upcoming_renewals(session=s, today=date.today())}
    assert counted == {ids["RENEWS-30"], ids["NOTICE-IN-90"], ids["RENEWS-90"]}
    assert int(card.group(2)) == len(counted)
    page = client.get(card.group(1)).text
    assert _listed(page) == counted
    assert '<option value="90" selected>in the next 90 days</option>' in page
    assert "Renewals and notice deadlines in the next 90 days (3)" in page
    assert _listed(client.get("/renewals").text) == set(ids.values())


def test_the_days_ahead_filter_works_on_its_own_and_is_kept_while_browsing(web: Web) -> None:
    ids = _seed_window(web)
    client = web.client("procurement")
    page = client.get("/renewals", params={"within": "40"}).text
    assert _listed(page) == {ids["RENEWS-30"]}
    assert '<option value="40" selected>in the next 40 days</option>' in page
    assert re.search(r'href="/renewals\?month=\d{4}-\d\d&amp;within=40">Next month', page)
    # A save keeps the filter the user was looking at.
    saved = client.post(
        "/renewals/RENEWS-30",
        data={"csrf": csrf_of(page), "vendor": "Miro", "state": "negotiating", "within": "40"},
        follow_redirects=False,
    )
    assert saved.status_code == 303 and "&within=40&" in saved.headers["location"]
    # Nonsense is no filter, shown as such.
    for nonsense in ("abc", "0", "-5", "99999999999999999999"):
        shown = client.get("/renewals", params={"within": nonsense})
        assert shown.status_code == 200 and _listed(shown.text) == set(ids.values()), nonsense
    empty = client.get("/renewals", params={"within": "7"}).text
    assert "No renewals or notice deadlines in the next 7 days" in empty
