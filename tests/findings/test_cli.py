"""`seatwise analyze`, `findings`, `policy` and `catalog` from the command line."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import Session, select

from app.findings.models import CatalogEntry
from app.findings.schemas import FINDING_KEYS
from tests.conftest import Database
from tests.findings.company import Planted, build_company
from tests.findings.factories import TODAY


@pytest.fixture
def planted(committed_db: Database) -> Planted:
    with Session(committed_db.engine) as session:
        company = build_company(session)
        session.commit()
    return company


def _json(result: Any) -> Any:
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_analyze_json_counts_kinds_and_totals_savings(cli: Any, planted: Planted) -> None:
    data = _json(cli("analyze", "--json", "--as-of", TODAY.isoformat()))
    assert set(data) >= {"as_of", "counts", "total_monthly_savings", "new", "resolved"}
    assert data["as_of"] == "2026-11-25" and data["new"] == len(planted.expected)
    assert data["counts"]["unassigned_seats"] == 2
    assert data["total_monthly_savings"] == {"EUR": "113.33", "USD": "45.00"}


def test_analyze_text_output_is_a_readable_summary(cli: Any, planted: Planted) -> None:
    result = cli("analyze", "--as-of", "2026-11-25")
    assert result.exit_code == 0, result.stderr
    assert "unused_seat" in result.stdout and "113.33 EUR" in result.stdout


def test_analyze_refuses_an_invalid_as_of_date(cli: Any) -> None:
    for bad in ("2026-13-01", "tomorrow", "25/11/2026"):
        result = cli("analyze", "--as-of", bad)
        assert result.exit_code == 2 and "YYYY-MM-DD" in result.stderr, bad


def test_findings_list_json_has_the_documented_keys(cli: Any, planted: Planted) -> None:
    cli("analyze", "--as-of", TODAY.isoformat())
    rows = _json(cli("findings", "list", "--json"))
    assert {r["key"] for r in rows} == set(planted.expected)
    for r in rows:
        assert list(r) == list(FINDING_KEYS)
        subject, saving = planted.expected[r["key"]]
        assert r["subject"] == subject and r["monthly_savings"] == saving
        assert r["status"] == "open" and isinstance(r["evidence"], dict)
    seat = next(r for r in rows if r["kind"] == "unused_seat")
    assert seat["product"] == "6fd2c87f-b296-42f0-b197-1e91e994b900"
    assert seat["application"] == "Microsoft 365" and seat["currency"] == "EUR"
    overlap = next(r for r in rows if r["kind"] == "overlap")
    assert overlap["product"] is None


def test_findings_list_filters_by_kind_and_status(cli: Any, planted: Planted) -> None:
    cli("analyze", "--as-of", TODAY.isoformat())
    rows = _json(cli("findings", "list", "--json", "--kind", "unassigned_seats"))
    assert {r["kind"] for r in rows} == {"unassigned_seats"} and len(rows) == 2
    assert _json(cli("findings", "list", "--json", "--status", "dismissed")) == []


def test_findings_list_takes_every_kind_before_any_is_stored(cli: Any) -> None:
    for kind in ("budget_overrun", "suite_overlap", "unused_seat"):
        result = cli("findings", "list", "--json", "--kind", kind)
        assert result.exit_code == 0 and _json(result) == [], (kind, result.stderr)


def test_findings_list_refuses_unknown_filter_values(cli: Any) -> None:
    for option, value in (("--kind", "unused_seats_typo"), ("--status", "closed")):
        result = cli("findings", "list", option, value)
        assert result.exit_code == 2 and value in result.stderr, option


def test_dismiss_and_acknowledge_from_the_cli(cli: Any, planted: Planted) -> None:
    cli("analyze", "--as-of", TODAY.isoformat())
    key = next(k for k in planted.expected if k.startswith("unused_seat:"))
    result = cli("findings", "dismiss", key, "--reason", "sabbatical", "--by", "ann")
    assert result.exit_code == 0, result.stderr
    other = next(k for k in planted.expected if k.startswith("overuse:"))
    assert cli("findings", "acknowledge", other).exit_code == 0
    rows = {r["key"]: r for r in _json(cli("findings", "list", "--json"))}
    assert rows[key]["status"] == "dismissed" and rows[other]["status"] == "acknowledged"
    cli("analyze", "--as-of", TODAY.isoformat())
    rows = {r["key"]: r for r in _json(cli("findings", "list", "--json"))}
    assert rows[key]["status"] == "dismissed"


def test_dismiss_without_a_reason_is_a_usage_error(cli: Any, planted: Planted) -> None:
    cli("analyze", "--as-of", TODAY.isoformat())
    key = next(iter(planted.expected))
    assert cli("findings", "dismiss", key).exit_code == 2
    result = cli("findings", "dismiss", key, "--reason", " ")
    assert result.exit_code == 2 and "reason" in result.stderr


def test_dismiss_unknown_key_exits_1_naming_it(cli: Any) -> None:
    result = cli("findings", "dismiss", "unused_seat:9:9", "--reason", "x")
    assert result.exit_code == 1 and "unused_seat:9:9" in result.stderr


def test_policy_set_and_list(cli: Any, planted: Planted) -> None:
    result = cli("policy", "set", "--application", "Microsoft 365", "--inactive-days", "150")
    assert result.exit_code == 0, result.stderr
    assert cli("policy", "set", "--never-used-grace-days", "45").exit_code == 0
    rows = _json(cli("policy", "list", "--json"))
    assert rows[0] == {
        "application": None,
        "inactive_days": 90,
        "never_used_grace_days": 45,
        "source": "database",
    }
    assert rows[1]["application"] == "Microsoft 365" and rows[1]["inactive_days"] == 150
    data = _json(cli("analyze", "--json", "--as-of", TODAY.isoformat()))
    assert "unused_seat" not in data["counts"] and data["counts"]["never_used_seat"] == 1


def test_policy_defaults_come_from_settings(cli: Any) -> None:
    rows = _json(cli("policy", "list", "--json", env={"SEATWISE_INACTIVE_DAYS": "30"}))
    assert rows == [
        {
            "application": None,
            "inactive_days": 30,
            "never_used_grace_days": 30,
            "source": "settings",
        }
    ]


def test_policy_set_unknown_application_exits_1_naming_it(cli: Any) -> None:
    result = cli("policy", "set", "--application", "Frobnicator", "--inactive-days", "30")
    assert result.exit_code == 1 and "Frobnicator" in result.stderr


def test_policy_set_refuses_non_positive_or_missing_days(cli: Any) -> None:
    for args in (
        ["--inactive-days", "0"],
        ["--inactive-days", "-3"],
        ["--never-used-grace-days", "0"],
        [],
    ):
        result = cli("policy", "set", *args)
        assert result.exit_code == 2, args
    assert "positive" in cli("policy", "set", "--inactive-days", "0").stderr


def test_catalog_add_then_list_shows_the_entry(cli: Any, committed_db: Database) -> None:
    result = cli(
        "catalog",
        "add",
        "--key",
        "acme-chat",
        "--name",
        "Acme Chat",
        "--vendor",
        "Acme",
        "--category",
        "team_communication",
        "--capabilities",
        "team_chat,video_meetings",
    )
    assert result.exit_code == 0, result.stderr
    rows = _json(cli("catalog", "list", "--json", "--category", "team_communication"))
    mine = next(r for r in rows if r["key"] == "acme-chat")
    assert mine["user_entry"] is True and mine["capabilities"] == ["team_chat", "video_meetings"]
    assert {r["category"] for r in rows} == {"team_communication"}
    with Session(committed_db.engine) as session:
        entry = session.exec(select(CatalogEntry)).one()
    assert entry.key == "acme-chat" and entry.data["vendor"] == "Acme"


def test_catalog_add_corrects_a_packaged_entry(cli: Any) -> None:
    result = cli(
        "catalog",
        "add",
        "--key",
        "slack",
        "--name",
        "Slack",
        "--vendor",
        "Salesforce",
        "--category",
        "team_communication",
        "--capabilities",
        "team_chat,video_meetings",
    )
    assert result.exit_code == 0, result.stderr
    rows = _json(cli("catalog", "list", "--json"))
    slack = next(r for r in rows if r["key"] == "slack")
    assert slack["capabilities"] == ["team_chat", "video_meetings"] and slack["user_entry"]


def test_catalog_add_refuses_unknown_vocabulary(cli: Any) -> None:
    for option, value in (
        ("--capabilities", "team_chat,telepathy"),
        ("--category", "snacks"),
    ):
        args = {
            "--key": "acme-chat",
            "--name": "Acme Chat",
            "--vendor": "Acme",
            "--category": "team_communication",
            "--capabilities": "team_chat",
        }
        args[option] = value
        flat = [part for pair in args.items() for part in pair]
        result = cli("catalog", "add", *flat)
        assert result.exit_code == 2 and value.split(",")[-1] in result.stderr, option


def test_catalog_list_refuses_unknown_category(cli: Any) -> None:
    result = cli("catalog", "list", "--category", "snacks")
    assert result.exit_code == 2 and "snacks" in result.stderr
