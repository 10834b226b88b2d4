"""Acceptance: a planted company, analysed as of 2026-11-25, yields exactly the planted findings.

Expected figures are worked out by hand from the written rules, not from the code:

* monthly seat cost = unit_price / months of the billing cycle (monthly 1, quarterly 3,
  annual 12, biennial 24), else total_cost / seats / months; the contract is the one
  linked to the product with start <= today <= end, the latest start winning; with no
  contract the catalogue list price (``price_source: list_price``); no price → null;
* savings are rounded half-up to the cent once per finding.

Prices in play (see ``findings_company.contracts_csv``):

* Microsoft 365 E3: MS-E3-2026, annual 430.00 → 430 / 12 = 35.8333… → 35.83 USD
  (MS-E3-EA, 480.00, started earlier; MS-E3-2025 expired);
* Microsoft 365 E5: MS-E5-2026, biennial 1250.00 → 1250 / 24 = 52.083333… USD;
* Slack Business+: SLK-2026, quarterly 26.00 → 26 / 3 = 8.6666… → 8.67 USD;
* Zoom Business: ZM-2026, monthly 15.99 → 15.99 USD;
* Webex Meet: WBX-2026, total 200.00 EUR for 2 seats, annual → 200 / 2 / 12 = 8.3333… EUR;
* Google Workspace Business Standard: no contract → list price 14.00 USD;
* Power Automate Free: list price 0 → never paid; Canva Teams: no price → null.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from tests.acceptance.findings_company import (
    GWS_STANDARD,
    SPE_E3,
    SPE_E5,
    TODAY,
    Company,
    build_inventory,
    write_contracts,
)
from tests.conftest import Database

AS_OF = TODAY.isoformat()


@dataclass(frozen=True)
class Expected:
    """One finding the rules call for; ``subject`` may list the acceptable readings."""

    kind: str
    subject: str | frozenset[str]
    product: str | None
    monthly_savings: str | None
    currency: str | None
    key: str | None = None  # only where the key format is specified
    severity: str | None = None  # only where the rules fix it

    def matches(self, row: dict[str, Any]) -> bool:
        subjects = {self.subject} if isinstance(self.subject, str) else self.subject
        return (
            row["kind"] == self.kind
            and row["product"] == self.product
            and row["subject"] in subjects
        )


def expected_findings(c: Company) -> list[Expected]:
    """Every finding the planted company must produce, with its hand-computed saving."""

    def seat(kind: str, source: str, who: str, product: str, ext: str, saving: str | None,
             currency: str | None = "USD") -> Expected:  # fmt: skip
        email = f"{who}@acme.test" if not who.startswith("ext-") else f"{who[4:]}@partner.test"
        key = f"{kind}:{c.account(source, who)}:{c.products[product]}"
        return Expected(kind, email, ext, saving, currency, key=key)

    return [
        # unused_seat: active, non-guest, paid, last active more than 90 days ago.
        # bob's Slack account: 91 days → one Slack seat, 26.00 / 3 = 8.666… → 8.67.
        seat("unused_seat", "slack", "bob", "slack", "business_plus", "8.67"),
        # rita's Google account: 100 days; no contract → list price 14 / month → 14.00.
        seat("unused_seat", "google", "rita", "gws", GWS_STANDARD, "14.00"),
        # quinn's Canva account: 120 days; no contract, no list price → null.
        seat("unused_seat", "design", "quinn", "canva", "canva-teams", None, None),
        # uma's 1Password account: 95 days; annual 30.06 / 12 = 2.505 exactly → half-up
        # 2.51 (half-even would give 2.50).
        seat("unused_seat", "it", "uma", "1password", "1password-business", "2.51"),
        # bob's Evernote account: 100 days; no contract → its list price 10.00.
        seat("unused_seat", "it", "bob", "evernote", "evernote-teams", "10.00"),
        # never_used_seat: never active, activity reported, created > 30 days ago.
        # nina: created 31 days ago (first seen 5 days ago) → one E3 seat,
        # 430.00 / 12 = 35.8333… → 35.83.
        seat("never_used_seat", "m365", "nina", "e3", SPE_E3, "35.83"),
        # paul: no creation date, first seen 45 days ago → 35.83.
        seat("never_used_seat", "m365", "paul", "e3", SPE_E3, "35.83"),
        # leaver_seat: dave's own Entra account is suspended (and idle 200 days: still
        # only leaver_seat) → his E3 seat, 35.83 …
        seat("leaver_seat", "m365", "dave", "e3", SPE_E3, "35.83"),
        # … and his still-active Slack account, through the identity provider → 8.67.
        seat("leaver_seat", "slack", "dave", "slack", "business_plus", "8.67"),
        # ivan's own Slack account is deleted but holds the seat → 8.67.
        seat("leaver_seat", "slack", "ivan", "slack", "business_plus", "8.67"),
        # yuri: Slack guest whose Entra account is deleted → one leaver_seat only, 8.67.
        seat("leaver_seat", "slack", "yuri", "slack", "business_plus", "8.67"),
        # guest_paid_seat: xavier, an outside Slack guest on a paid seat, idle 200 days
        # (unused_seat is for non-guests only) → 8.67.
        seat("guest_paid_seat", "slack", "ext-xavier", "slack", "business_plus", "8.67"),
        # overuse: Zoom bought 1, consumed 2, assigned 3 → in use 3; saving 0, exposure
        # 2 x 15.99 = 31.98 (checked in its own test).
        Expected("overuse", "Zoom Business", "zoom-business", "0.00", "USD"),
        # unassigned_seats: E5 bought 5, consumed 1 → 4 x 1250 / 24 = 208.333… → 208.33
        # (rounding each seat first would give 4 x 52.08 = 208.32).
        Expected("unassigned_seats", "Microsoft 365 E5", SPE_E5, "208.33", "USD"),
        # overlap (Slack inside the suites' team chat): Slack seats of people who also hold
        # a suite seat: alice (E3), carol (Google Workspace); bob's seat is already
        # unused_seat and dave's leaver_seat, so left out → 2 x 26 / 3 = 17.333… → 17.33.
        Expected("overlap", "Slack", None, "17.33", "USD", key=f"overlap:{c.apps['slack']}"),
        # overlap pair Zoom / Webex (video_meetings): both held by wendy and walt; Webex is
        # the smaller app (2 people vs 3, cheaper per seat and in total) → its 2 seats,
        # 2 x 200 / 2 / 12 = 16.666… → 16.67 EUR (per-seat rounding would give 16.66).
        Expected(
            "overlap",
            frozenset({"Webex / Zoom Workplace", "Zoom Workplace / Webex", "Webex"}),
            None,
            "16.67",
            "EUR",
            key=f"overlap:{c.apps['webex']}:{c.apps['zoom']}",
        ),
        # overlap (Evernote inside the suites' note taking): bob holds E3 and a paid
        # Evernote seat, so it is raised; that seat is already unused_seat → 0.00 USD.
        Expected("overlap", "Evernote", None, "0.00", "USD", key=f"overlap:{c.apps['evernote']}"),
        # suite_overlap: frank holds Microsoft 365 and Google Workspace → savings null.
        Expected(
            "suite_overlap",
            frozenset({"Google Workspace / Microsoft 365", "Microsoft 365 / Google Workspace"}),
            None,
            None,
            None,
        ),
        # Contract findings carry no saving (none is defined for them).
        Expected("renewal_due", "ASN-R90", None, None, "USD"),
        Expected("renewal_due", "BOX-BOTH", None, None, "USD"),
        Expected("notice_deadline", "BOX-BOTH", None, None, "USD", severity="medium"),
        Expected("notice_deadline", "MIRO-N0", None, None, "USD", severity="high"),
        Expected("notice_deadline", "DBX-N30", None, None, "USD", severity="medium"),
        Expected("notice_deadline", "DSG-N60", None, None, "USD", severity="low"),
        Expected("notice_missed", "HS-MISSED", None, None, "USD"),
        Expected("trial_ending", "LOOM-T14", None, None, "USD"),
        # Same product, both active and overlapping (the expired MS-E3-2025 and the E5
        # contract are not duplicates of them).
        Expected(
            "duplicate_subscription",
            frozenset({"MS-E3-2026", "MS-E3-EA"}),
            SPE_E3,
            None,
            "USD",
        ),
        # Same application, neither naming a product.
        Expected("duplicate_subscription", frozenset({"FIG-A", "FIG-B"}), None, None, "USD"),
    ]


@dataclass(frozen=True)
class Analysis:
    """The planted company's ids and what `analyze` and `findings list` printed."""

    company: Company
    summary: dict[str, Any]
    rows: list[dict[str, Any]]


#: One analysis per backend per test process: the checks below only read its output.
_ANALYSES: dict[str, Analysis] = {}


def _json(result: Any) -> Any:
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def plant(committed_db: Database, cli: Any, directory: Path) -> Company:
    """Put the planted company in the database, contracts imported through the CLI."""
    with Session(committed_db.engine) as session:
        planted = build_inventory(session)
        session.commit()
    result = cli("import", "contracts", str(write_contracts(directory)))
    assert result.exit_code == 0, result.stderr
    return planted


def analyse(cli: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Run `seatwise analyze --as-of 2026-11-25 --json`, then `seatwise findings list --json`."""
    summary = _json(cli("analyze", "--as-of", AS_OF, "--json"))
    return summary, _json(cli("findings", "list", "--json"))


@pytest.fixture
def analysed(request: pytest.FixtureRequest, database: Database) -> Analysis:
    """The planted company analysed as of 2026-11-25 (built once per backend)."""
    cached = _ANALYSES.get(database.backend)
    if cached is None:
        cli = request.getfixturevalue("cli")
        company = plant(request.getfixturevalue("committed_db"), cli,
                        request.getfixturevalue("tmp_path"))  # fmt: skip
        summary, rows = analyse(cli)
        cached = _ANALYSES[database.backend] = Analysis(company, summary, rows)
    return cached


def _describe(row: dict[str, Any]) -> str:
    return f"{row['key']} ({row['kind']}, {row['subject']}, {row['monthly_savings']})"


def test_every_planted_case_is_found_and_nothing_else(analysed: Analysis) -> None:
    rows = analysed.rows
    expected = expected_findings(analysed.company)
    missing = [e for e in expected if not any(e.matches(r) for r in rows)]
    extra = [_describe(r) for r in rows if not any(e.matches(r) for e in expected)]
    assert (missing, extra) == ([], [])
    assert len(rows) == len(expected) == len({r["key"] for r in rows})


def test_each_saving_matches_the_hand_computed_figure_to_the_cent(analysed: Analysis) -> None:
    rows = analysed.rows
    wrong: list[tuple[Any, ...]] = []
    for e in expected_findings(analysed.company):
        found = [r for r in rows if e.matches(r)]
        assert len(found) == 1, (e, [_describe(r) for r in found])
        r = found[0]
        got = (r["monthly_savings"], r["currency"], r["key"] if e.key else None)
        if got != (e.monthly_savings, e.currency, e.key):
            wrong.append((e.kind, r["subject"], got, (e.monthly_savings, e.currency, e.key)))
        if e.severity is not None and r["severity"] != e.severity:
            wrong.append((e.kind, r["subject"], r["severity"], e.severity))
        assert r["key"].startswith(f"{e.kind}:")
    assert wrong == []


def test_analysis_totals_count_every_seat_once(analysed: Analysis) -> None:
    summary = analysed.summary
    # USD: seats 8.67 + 14.00 + 2.51 + 10.00 + 35.83 + 35.83 + 35.83 + 8.67 x 4
    # (leavers on Slack, guest) + 8.67 (bob) = 177.35; + overuse 0 + unassigned 208.33
    # + overlaps 17.33 + 0.00 = 403.01. EUR: the Webex/Zoom overlap, 16.67.
    assert summary["total_monthly_savings"] == {"EUR": "16.67", "USD": "403.01"}
    assert summary["counts"] == {
        "duplicate_subscription": 2,
        "guest_paid_seat": 1,
        "leaver_seat": 4,
        "never_used_seat": 2,
        "notice_deadline": 4,
        "notice_missed": 1,
        "overlap": 3,
        "overuse": 1,
        "renewal_due": 2,
        "suite_overlap": 1,
        "trial_ending": 1,
        "unassigned_seats": 1,
        "unused_seat": 5,
    }


def test_overuse_reports_its_exposure_in_the_evidence(analysed: Analysis) -> None:
    rows = analysed.rows
    (overuse,) = [r for r in rows if r["kind"] == "overuse"]
    # In use = max(consumed 2, assigned 3) = 3 against 1 bought → 2 excess seats;
    # exposure 2 x 15.99 = 31.98 a month.
    assert overuse["evidence"]["excess_seats"] == 2
    assert overuse["evidence"]["monthly_exposure"] in ("31.98", 31.98)


def test_price_source_says_where_the_seat_cost_came_from(analysed: Analysis) -> None:
    rows = analysed.rows
    by_subject = {(r["kind"], r["subject"], r["product"]): r for r in rows}
    rita = by_subject[("unused_seat", "rita@acme.test", GWS_STANDARD)]
    assert rita["evidence"]["price_source"] == "list_price"
    nina = by_subject[("never_used_seat", "nina@acme.test", SPE_E3)]
    assert nina["evidence"]["price_source"] == "contract"
    assert nina["evidence"].get("contract_number") == "MS-E3-2026"


def test_boundary_cases_raise_nothing(analysed: Analysis) -> None:
    rows = analysed.rows
    subjects = {r["subject"] for r in rows}
    # Idle exactly 90 days; never used but created 29 days ago; a source without
    # activity; a free SKU idle 200 days; renewal in 91 days; notice deadline in 61
    # days; deadline and renewal both passed; a trial ending in 15 days.
    for quiet in (
        "hank@acme.test",
        "nick@acme.test",
        "olga@acme.test",
        "wendy@acme.test",
        "walt@acme.test",
        "gina@acme.test",
        "NOT-R91",
        "ZD-N61",
        "AT-LAPSED",
        "CAL-T15",
    ):
        assert quiet not in subjects, quiet
    # The seat of a guest who also left is one finding, not two.
    assert [r["kind"] for r in rows if r["subject"] == "yuri@acme.test"] == ["leaver_seat"]


def test_per_application_policy_and_review_decisions_hold_on_reanalysis(
    cli: Any, committed_db: Database, tmp_path: Path
) -> None:
    company = plant(committed_db, cli, tmp_path)
    analyse(cli)
    slack = company.products["slack"]
    bob = f"unused_seat:{company.account('slack', 'bob')}:{slack}"
    rita = f"unused_seat:{company.account('google', 'rita')}:{company.products['gws']}"
    hank = f"unused_seat:{company.account('slack', 'hank')}:{slack}"
    assert cli("findings", "dismiss", bob, "--reason", "kept for the on-call rota").exit_code == 0
    assert cli("findings", "acknowledge", rita).exit_code == 0
    result = cli("policy", "set", "--application", "Slack", "--inactive-days", "60")
    assert result.exit_code == 0, result.stderr

    summary, rows = analyse(cli)

    by_key = {r["key"]: r for r in rows}
    # Slack now allows 60 idle days: hank (90 days) is unused → one Slack seat, 8.67.
    assert (by_key[hank]["status"], by_key[hank]["monthly_savings"]) == ("open", "8.67")
    assert summary["new"] == 1 and summary["resolved"] == 0
    # Decisions survive: bob stays dismissed, rita (Google keeps 90 days: 100 > 90)
    # stays acknowledged.
    assert (by_key[bob]["status"], by_key[bob]["monthly_savings"]) == ("dismissed", "8.67")
    assert (by_key[rita]["status"], by_key[rita]["monthly_savings"]) == ("acknowledged", "14.00")
    dismissed = _json(cli("findings", "list", "--json", "--status", "dismissed"))
    assert [r["key"] for r in dismissed] == [bob]


def test_findings_list_json_names_application_and_product(analysed: Analysis) -> None:
    documented = ["key", "kind", "severity", "application", "product", "subject",
                  "monthly_savings", "currency", "status", "evidence", "first_seen",
                  "last_seen", "status_reason", "status_by", "status_at",
                  "resolved_at"]  # fmt: skip
    app_of_product = {
        SPE_E3: "Microsoft 365",
        SPE_E5: "Microsoft 365",
        GWS_STANDARD: "Google Workspace",
        "business_plus": "Slack",
        "zoom-business": "Zoom Workplace",
        "canva-teams": "Canva",
        "1password-business": "1Password",
        "evernote-teams": "Evernote",
    }
    for r in analysed.rows:
        assert sorted(r) == sorted(documented), r["key"]
        assert r["status"] == "open" and isinstance(r["evidence"], dict)
        if r["product"] is not None:
            assert r["application"] == app_of_product[r["product"]], r["key"]
    (slack_overlap,) = [r for r in analysed.rows if r["subject"] == "Slack"]
    assert slack_overlap["application"] == "Slack"
