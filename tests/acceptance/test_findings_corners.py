"""Acceptance, second company (Borealis, as of 2027-03-10): the corners of issue 5's rules.

Hand-computed from the issue text, not from the code:

* Microsoft 365 E3 has four contracts: E3-OLD ended yesterday, E3-CUR ends today,
  E3-LATE starts today (total 4320.00 for 10 seats, annual, no unit price), E3-NEXT
  starts tomorrow. start <= today <= end keeps E3-CUR and E3-LATE; the most recent
  start, E3-LATE, prices: 4320 / 10 / 12 = 36.00 USD. They are also duplicates.
* Slack: SLK-Q, quarterly, total 100.00 for 3 seats → 100 / 3 / 3 = 11.111… USD; Slack
  reports no purchased seats, so the contract's 3 stand in.
* Zoom Pro: ZM-M, monthly, total 10.00 for 3 seats → 3.333… USD.
* 1Password Teams: 1P-3Y, triennial 0.18 EUR → 0.005 EUR a month → 0.01 half-up.
* Google Workspace Business Standard: no contract → catalogue list price 14.00 USD.
* Canva Teams: no price → null savings; Power Automate Free: free, never paid.
* Entra (identity provider) has no P1 and Slack is paid_only: activity unknown there.
* Policy: Google Workspace inactive_days 60 (global default 90).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from app.people.models import Account
from tests.acceptance.corners_company import (
    TODAY,
    Company,
    build_inventory,
    days_ago,
    write_contracts,
)
from tests.acceptance.findings_company import GWS_STANDARD, SPE_E3
from tests.conftest import Database

AS_OF = TODAY.isoformat()


def _json(result: Any) -> Any:
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _plant(committed_db: Database, cli: Any, directory: Path) -> Company:
    with Session(committed_db.engine) as session:
        company = build_inventory(session)
        session.commit()
    result = cli("import", "contracts", str(write_contracts(directory)))
    assert result.exit_code == 0, result.stderr
    result = cli("policy", "set", "--application", "Google Workspace", "--inactive-days", "60")
    assert result.exit_code == 0, result.stderr
    result = cli("policy", "set", "--application", "1Password", "--never-used-grace-days", "10")
    assert result.exit_code == 0, result.stderr
    return company


def _analyse(cli: Any, as_of: str = AS_OF) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    summary = _json(cli("analyze", "--as-of", as_of, "--json"))
    return summary, _json(cli("findings", "list", "--json"))


def _expected(c: Company) -> dict[tuple[str, str], tuple[str | None, str | None, str | None]]:
    """(kind, subject) → (product, monthly_savings, currency)."""
    b = "@borealis.test"
    return {
        # ben left (Entra suspended): his E3 seat at E3-LATE's 36.00, his still-active
        # Google seat at list price 14.00; his free Power Automate seat: nothing.
        ("leaver_seat", f"ben{b}#e3"): (SPE_E3, "36.00", "USD"),
        ("leaver_seat", f"ben{b}#gws"): (GWS_STANDARD, "14.00", "USD"),
        # hal's own Google account is suspended (his Entra account is active).
        ("leaver_seat", f"hal{b}"): (GWS_STANDARD, "14.00", "USD"),
        # cara: never active, no creation date, first seen 31 days ago.
        ("never_used_seat", f"cara{b}"): (GWS_STANDARD, "14.00", "USD"),
        # fay: 61 days idle against Google's 60.
        ("unused_seat", f"fay{b}"): (GWS_STANDARD, "14.00", "USD"),
        # pia: 120 days idle, no price at all.
        ("unused_seat", f"pia{b}"): ("canva-teams", None, None),
        # quin: 100 days idle; 0.005 EUR → 0.01 (half-up).
        ("unused_seat", f"quin{b}"): ("1p-teams", "0.01", "EUR"),
        # jon: an outside guest on a paid Slack seat → 11.11.
        ("guest_paid_seat", "jon@partner.test"): ("T0BOREAL", "11.11", "USD"),
        # Slack: 3 bought (contract), 2 consumed → 1 x 11.111 = 11.11.
        ("unassigned_seats", "Slack Borealis"): ("T0BOREAL", "11.11", "USD"),
        # Zoom: 3 bought, 3 consumed, 5 assigned → overuse, saving 0.
        ("overuse", "Zoom Pro"): ("zoom-pro", "0.00", "USD"),
        # ivy holds Slack (paid, not otherwise flagged) and E3 → 11.11.
        ("overlap", "Slack"): (None, "11.11", "USD"),
        # ben holds E3 and Google Workspace.
        ("suite_overlap", "*"): (None, None, None),
        ("duplicate_subscription", "E3-LATE"): (SPE_E3, None, "USD"),
        ("renewal_due", "ASN-R0"): (None, None, "USD"),
        # The import fills an empty renewal_date with the day after end_date (issue 4's
        # import rule in this codebase): E3-OLD renews today, E3-CUR tomorrow.
        ("renewal_due", "E3-OLD"): (SPE_E3, None, "USD"),
        ("renewal_due", "E3-CUR"): (SPE_E3, None, "USD"),
        ("notice_deadline", "MIRO-N7"): (None, None, "USD"),
        ("notice_deadline", "DBX-N8"): (None, None, "USD"),
        ("notice_deadline", "DSG-N31"): (None, None, "USD"),
        ("notice_missed", "HS-MISS"): (None, None, "USD"),
        ("trial_ending", "LOOM-T0"): (None, None, "USD"),
        # Notion: list price 8.00 EUR, 3 in use against 1 → exposure 2 x 8 = 16.00 EUR.
        ("overuse", "Notion Plus"): ("notion-plus", "0.00", "EUR"),
        # Lucid: no price → saving 0 as the rule says, exposure unknown.
        ("overuse", "Lucid Team"): ("lucid-team", "0.00", None),
        # Trello: 3 unassigned x 12.10 / 12 = 36.30 / 12 = 3.025 exactly → 3.03 half-up
        # (multiplying a monthly cost rounded to 28 digits, 1.00833…, gives 3.0249… → 3.02).
        ("unassigned_seats", "Trello Standard"): ("trello-std", "3.03", "USD"),
        # xan's own Canva account is suspended; Canva has no price.
        ("leaver_seat", f"xan{b}"): ("canva-teams", None, None),
        # zed: never active, created 11 days ago, 1Password's grace is 10 → 0.01 EUR.
        ("never_used_seat", f"zed{b}"): ("1p-teams", "0.01", "EUR"),
    }


def _actual(rows: list[dict[str, Any]]) -> dict[tuple[str, str], tuple[Any, Any, Any]]:
    out: dict[tuple[str, str], tuple[Any, Any, Any]] = {}
    for r in rows:
        subject = r["subject"]
        if r["kind"] == "suite_overlap":
            subject = "*"
        elif subject == "ben@borealis.test":
            subject += "#e3" if r["product"] == SPE_E3 else "#gws"
        key = (r["kind"], subject)
        assert key not in out, key
        out[key] = (r["product"], r["monthly_savings"], r["currency"])
    return out


def test_borealis_findings_match_the_hand_computed_figures(
    cli: Any, committed_db: Database, tmp_path: Path
) -> None:
    company = _plant(committed_db, cli, tmp_path)
    summary, rows = _analyse(cli)
    assert _actual(rows) == _expected(company)
    severities = {r["subject"]: r["severity"] for r in rows if r["kind"] == "notice_deadline"}
    assert severities == {"MIRO-N7": "high", "DBX-N8": "medium", "DSG-N31": "low"}
    (overuse,) = [r for r in rows if r["subject"] == "Zoom Pro"]
    # 2 excess x 10 / 3 = 6.666… → 6.67 (rounding the seat first gives 6.66).
    assert overuse["evidence"]["excess_seats"] == 2
    assert str(overuse["evidence"]["monthly_exposure"]) == "6.67"
    (notion,) = [r for r in rows if r["subject"] == "Notion Plus"]
    assert str(notion["evidence"]["monthly_exposure"]) == "16.00"
    assert notion["evidence"]["price_source"] == "list_price"
    (lucid,) = [r for r in rows if r["subject"] == "Lucid Team"]
    assert lucid["evidence"]["monthly_exposure"] is None
    by_subject = {r["subject"]: r for r in rows}
    assert by_subject["fay@borealis.test"]["evidence"]["price_source"] == "list_price"
    assert by_subject["cara@borealis.test"]["evidence"]["price_source"] == "list_price"
    assert by_subject["quin@borealis.test"]["evidence"]["price_source"] == "contract"
    assert summary["total_monthly_savings"] == {"USD": "128.36", "EUR": "0.02"}
    assert all(r["key"].startswith(r["kind"] + ":") for r in rows)
    ben_e3 = company.seat_key("leaver_seat", "entra", "ben", "e3")
    assert ben_e3 in {r["key"] for r in rows}


def test_borealis_as_of_in_the_past_prices_with_the_contracts_of_that_day(
    cli: Any, committed_db: Database, tmp_path: Path
) -> None:
    company = _plant(committed_db, cli, tmp_path)
    _summary, rows = _analyse(cli, "2026-06-01")
    by_key = {r["key"]: r for r in rows}
    # On 2026-06-01 E3-OLD and E3-CUR are active; E3-CUR started later: 396 / 12 = 33.00.
    ben_e3 = by_key[company.seat_key("leaver_seat", "entra", "ben", "e3")]
    assert ben_e3["monthly_savings"] == "33.00"
    dups = [r["subject"] for r in rows if r["kind"] == "duplicate_subscription"]
    assert dups == ["E3-CUR"]


def test_borealis_lifecycle_resolve_reopen_dismissed_stays(
    cli: Any, committed_db: Database, tmp_path: Path
) -> None:
    company = _plant(committed_db, cli, tmp_path)
    _, first = _analyse(cli)
    fay = company.seat_key("unused_seat", "google", "fay", "gws")
    cara = company.seat_key("never_used_seat", "google", "cara", "gws")
    assert cli("findings", "dismiss", cara, "--reason", "new starter").exit_code == 0

    def set_fay_active(days: int) -> None:
        with Session(committed_db.engine) as session:
            acc = session.exec(
                select(Account).where(Account.id == company.accounts[("google", "fay")])
            ).one()
            acc.last_active_at = days_ago(days)
            session.add(acc)
            session.commit()

    set_fay_active(1)
    summary, second = _analyse(cli)
    by_key = {r["key"]: r for r in second}
    assert fay not in by_key  # the default list leaves resolved findings out
    resolved = _json(cli("findings", "list", "--json", "--status", "resolved"))
    assert [r["key"] for r in resolved] == [fay]
    assert summary["resolved"] == 1 and summary["new"] == 0
    assert by_key[cara]["status"] == "dismissed"
    set_fay_active(61)
    _, third = _analyse(cli)
    by_key = {r["key"]: r for r in third}
    assert by_key[fay]["status"] == "open"
    assert by_key[cara]["status"] == "dismissed"
    assert {r["key"]: r["first_seen"] for r in first} == {r["key"]: r["first_seen"] for r in third}


def test_borealis_rest_findings_match_the_cli(
    cli: Any, committed_db: Database, tmp_path: Path
) -> None:
    from tests.api_tokens import api_client

    _plant(committed_db, cli, tmp_path)
    _, rows = _analyse(cli)
    assert len(rows) == 26
    with api_client(committed_db) as (client, headers):
        body = client.get("/api/v1/findings?limit=100", headers=headers["procurement"]).json()
    items = body["items"] if isinstance(body, dict) else body
    fields = ("key", "kind", "subject", "product", "monthly_savings", "currency", "status")
    assert sorted(tuple(r[f] for f in fields) for r in items) == sorted(
        tuple(r[f] for f in fields) for r in rows
    )
