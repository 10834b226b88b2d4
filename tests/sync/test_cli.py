"""`seatwise connector|sync|inventory|people` against the sandboxes: exit codes and JSON keys."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from app.sync.cli import _changes
from app.sync.models import ConnectorConfig
from connectors import microsoft365
from connectors.sandbox.server import Sandboxes
from tests.conftest import CLI_SECRET_KEY, Database
from tests.inventory_keys import ACCOUNT_KEYS, PRODUCT_KEYS
from tests.sync.conftest import fault


@pytest.fixture
def env() -> dict[str, str]:
    return {"SEATWISE_HTTP_TIMEOUT": "3", "SEATWISE_HTTP_TIME_BUDGET": "3"}


def _add(cli: Any, sandboxes: Sandboxes, kind: str, name: str, **extra: Any) -> Any:
    config = json.dumps({**sandboxes.configs[kind], **extra})
    return cli("connector", "add", kind, "--name", name, "--config", config)


def test_connector_add_refuses_unknown_and_missing_keys_with_exit_2(
    cli: Any, sandboxes: Sandboxes
) -> None:
    config = {**sandboxes.configs["microsoft365"], "colour": "blue"}
    del config["client_id"]
    result = cli("connector", "add", "microsoft365", "--name", "m", "--config", json.dumps(config))
    assert result.exit_code == 2
    assert "colour" in result.stderr and "client_id" in result.stderr


def test_connector_add_unknown_kind_and_bad_json_exit_2(cli: Any) -> None:
    unknown = cli("connector", "add", "lotus_notes", "--name", "x", "--config", "{}")
    assert unknown.exit_code == 2
    assert "microsoft365" in unknown.stderr and "slack" in unknown.stderr
    bad = cli("connector", "add", "slack", "--name", "x", "--config", "{nope")
    assert bad.exit_code == 2 and "not valid JSON" in bad.stderr
    missing = cli("connector", "add", "slack", "--name", "x", "--config", "@/nonexistent.json")
    assert missing.exit_code == 2 and "nonexistent.json" in missing.stderr


def test_connector_add_refuses_a_ca_bundle_that_is_no_pem_file_with_exit_2(
    cli: Any, sandboxes: Sandboxes, tmp_path: Path
) -> None:
    absent = _add(cli, sandboxes, "microsoft365", "m", ca_bundle=str(tmp_path / "nope.pem"))
    assert absent.exit_code == 2
    assert "ca_bundle" in absent.stderr and "nope.pem" in absent.stderr
    not_pem = tmp_path / "notes.txt"
    not_pem.write_text("not a certificate")
    wrong = _add(cli, sandboxes, "microsoft365", "m", ca_bundle=str(not_pem))
    assert wrong.exit_code == 2 and "holds no PEM certificate" in wrong.stderr
    assert json.loads(cli("connector", "list", "--json").stdout) == []


@pytest.mark.parametrize(
    ("key", "needle"),
    [
        ("{not json", "is not valid JSON"),
        ({"type": "service_account"}, "lacks client_email"),
        ("garbled", "private_key"),
    ],
)
def test_connector_add_refuses_an_unusable_google_key_with_exit_2(
    cli: Any, sandboxes: Sandboxes, key: Any, needle: str
) -> None:
    if key == "garbled":
        given = sandboxes.configs["google_workspace"]["service_account_key"]
        key = dict(json.loads(given) if isinstance(given, str) else given)
        pem = "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n"
        key["private_key"] = pem
    result = _add(cli, sandboxes, "google_workspace", "g", service_account_key=key)
    assert result.exit_code == 2, result.stderr
    assert "service_account_key" in result.stderr and needle in result.stderr
    assert json.loads(cli("connector", "list", "--json").stdout) == []


@pytest.mark.parametrize(
    ("name", "extra", "needle"),
    [
        ("a/b", {}, "is not usable"),
        ("<b>x</b>", {}, "is not usable"),
        ("x" * 101, {}, "is not usable"),
        ("ok-name", {"schedule": "99 * * *"}, "schedule"),
    ],
)
def test_connector_add_refuses_unusable_names_and_schedules_with_exit_2(
    cli: Any, sandboxes: Sandboxes, name: str, extra: dict[str, Any], needle: str
) -> None:
    result = _add(cli, sandboxes, "slack", name, **extra)
    assert result.exit_code == 2 and needle in result.stderr, result.stderr
    assert json.loads(cli("connector", "list", "--json").stdout) == []


def test_duplicate_name_exits_1_and_secrets_are_encrypted_and_masked(
    cli: Any, sandboxes: Sandboxes, committed_db: Any, tmp_path: Path
) -> None:
    path = tmp_path / "m365.json"
    path.write_text(json.dumps(sandboxes.configs["microsoft365"]))
    first = cli("connector", "add", "microsoft365", "--name", "m365", "--config", f"@{path}")
    assert first.exit_code == 0, first.stderr
    again = _add(cli, sandboxes, "microsoft365", "m365")
    assert again.exit_code == 1 and "a connector named m365 already exists" in again.stderr
    upper = _add(cli, sandboxes, "microsoft365", "M365")
    assert upper.exit_code == 1
    assert "a connector named M365 already exists (m365: names ignore case)" in upper.stderr
    secret = sandboxes.configs["microsoft365"]["client_secret"]
    with Session(committed_db.engine) as s:
        row = s.exec(select(ConnectorConfig)).one()
    assert secret not in json.dumps(row.config) and row.secrets and secret not in row.secrets
    listed = cli("connector", "list", "--json")
    assert secret not in listed.stdout
    assert json.loads(listed.stdout)[0]["config"]["client_secret"] == "••••"
    assert _add(cli, sandboxes, "microsoft365", "Ökonomie").exit_code == 0
    folded = _add(cli, sandboxes, "microsoft365", "ökonomie")  # not ASCII: SQLite's lower() fails
    assert folded.exit_code == 1 and "(Ökonomie: names ignore case)" in folded.stderr


def test_connector_test_reports_ok_and_refused_credentials(
    cli: Any, sandboxes: Sandboxes, env: dict[str, str]
) -> None:
    assert _add(cli, sandboxes, "microsoft365", "good").exit_code == 0
    assert _add(cli, sandboxes, "microsoft365", "bad", client_secret="nope").exit_code == 0
    ok = cli("connector", "test", "good", env=env)
    assert ok.exit_code == 0 and "good: OK" in ok.stdout
    refused = cli("connector", "test", "bad", env=env)
    assert refused.exit_code == 1
    assert "credentials refused" in refused.stderr and "secret" in refused.stderr.lower()


def test_sync_then_inventory_and_people_json(
    cli: Any, sandboxes: Sandboxes, env: dict[str, str]
) -> None:
    assert _add(cli, sandboxes, "microsoft365", "m365", identity_provider=True).exit_code == 0
    assert _add(cli, sandboxes, "slack", "slack").exit_code == 0
    synced = cli("sync", "--json", env=env)
    assert synced.exit_code == 0, synced.stderr
    assert {r["status"] for r in json.loads(synced.stdout)} == {"succeeded"}
    products = json.loads(cli("inventory", "products", "--json").stdout)
    assert products and all(set(p) >= PRODUCT_KEYS for p in products)
    e3 = [p for p in products if p["connector"] == "m365"]
    assert all(p["seats_active"] <= p["seats_assigned"] for p in e3)
    assert all(p["seats_activity_unknown"] == 0 for p in e3)
    accounts = json.loads(cli("inventory", "accounts", "--json", "--connector", "m365").stdout)
    assert accounts and all(set(a) >= ACCOUNT_KEYS for a in accounts)
    assert {a["connector"] for a in accounts} == {"m365"}
    for what in ("accounts", "products"):
        misspelt = cli("inventory", what, "--json", "--connector", "m356")
        assert misspelt.exit_code == 1 and misspelt.stdout == ""
        assert "no connector named 'm356'" in misspelt.stderr and "m365" in misspelt.stderr
    stamped = [a["last_active_at"] for a in accounts if a["last_active_at"]]
    assert stamped and all(s.endswith("Z") for s in stamped)
    people = json.loads(cli("people", "list", "--json").stdout)
    assert people and {
        "email",
        "display_name",
        "department",
        "status",
        "accounts",
        "licences",
    } <= set(people[0])
    multi = [p for p in people if len({a["connector"] for a in p["accounts"]}) == 2]
    assert multi, "some people have both a Microsoft 365 and a Slack account"


def test_sync_failure_exits_1_naming_connector_and_reason(
    cli: Any, sandboxes: Sandboxes, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(microsoft365, "PAGE_SIZE", 20)
    assert _add(cli, sandboxes, "microsoft365", "m365").exit_code == 0
    fault(sandboxes, "microsoft365", malformed_page=2)
    result = cli("sync", "m365", env=env)
    assert result.exit_code == 1
    assert "sync of m365 failed" in result.stderr
    assert cli("sync", "nosuch").exit_code == 1
    assert cli("connector", "remove", "m365").exit_code == 0
    assert json.loads(cli("connector", "list", "--json").stdout) == []


def test_token_endpoint_failures_are_one_line_on_stderr(
    cli: Any, committed_db: Database, sandboxes: Sandboxes, env: dict[str, str]
) -> None:
    """msal logs an unreadable answer with a traceback; the CLI shows only its own line.

    Run as a process of its own: the fetch runs in a forked child, whose stderr only
    the real file descriptor shows.
    """
    assert _add(cli, sandboxes, "microsoft365", "m365").exit_code == 0
    fault(sandboxes, "microsoft365", token_malformed=True)
    process_env = {
        **os.environ, **env, "SEATWISE_DATABASE_URL": committed_db.url,
        "SEATWISE_SECRET_KEY": CLI_SECRET_KEY,
    }  # fmt: skip

    def seatwise(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-c", "from app.cli import main; main()", *args]
        return subprocess.run(
            command, env=process_env, capture_output=True, text=True, timeout=120, check=False
        )

    synced = seatwise("sync", "m365")
    assert synced.returncode == 1
    assert synced.stderr.strip().splitlines() == [
        "seatwise: error: sync of m365 failed: Microsoft Entra ID sent an unreadable answer: "
        "Expecting ',' "
        "delimiter: line 1 column 42 (char 41)"
    ], synced.stderr
    fault(sandboxes, "microsoft365", token_malformed=False, token_error=503, token_error_times=-1)
    tested = seatwise("connector", "test", "m365")
    assert tested.returncode == 1 and "Traceback" not in tested.stderr
    assert "kept failing token requests with HTTP 503" in tested.stdout + tested.stderr
    # A server answering 503 is reachable: it is unavailable, not unreachable.
    assert "connector m365: unavailable: " in tested.stdout + tested.stderr


def test_secrets_are_not_stored_under_a_made_up_key(session: Any, sandboxes: Sandboxes) -> None:
    from app.core.errors import SeatwiseError
    from app.core.settings import Settings
    from app.sync import configs

    made_up = Settings(environment="development", secret_key="", _env_file=None)  # type: ignore[call-arg]
    assert made_up.secret_key_generated
    with pytest.raises(SeatwiseError, match="SEATWISE_SECRET_KEY is not set"):
        configs.add_connector(
            session=session, settings=made_up, kind="slack", name="sl",
            config=sandboxes.configs["slack"],
        )  # fmt: skip


def test_sync_summary_counts_what_came_back() -> None:
    counts = {"accounts_added": 2, "accounts_removed": 1, "assignments_restored": 3}
    assert _changes(counts, "accounts") == "+2 -1"
    assert _changes(counts, "assignments") == "+0 -0, 3 back"
