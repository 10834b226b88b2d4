"""`seatwise alerts send` and `outbox list`: dry runs, outages, two processes at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import Database
from tests.notify.seed import PROCUREMENT, outbox, seed_contract
from tests.smtp_server import Mailbox, free_port, smtp_server

RENEWAL = date(2027, 3, 1)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def smtp() -> Iterator[tuple[int, Mailbox]]:
    with smtp_server() as server:
        yield server


def _env(port: int) -> dict[str, str]:
    return {
        "SEATWISE_SMTP_HOST": "127.0.0.1",
        "SEATWISE_SMTP_PORT": str(port),
        "SEATWISE_SMTP_TIMEOUT": "5",
        "SEATWISE_MAIL_FROM": "seatwise@example.com",
        "SEATWISE_PROCUREMENT_EMAILS": f"{PROCUREMENT}, cpo@example.com",
        "SEATWISE_ENVIRONMENT": "test",
    }


def test_dry_run_prints_recipients_and_queues_nothing(
    committed_db: Database, smtp: tuple[int, Mailbox], cli: Any
) -> None:
    port, mailbox = smtp
    seed_contract(committed_db.engine, renewal_date=RENEWAL)
    result = cli("alerts", "send", "--dry-run", "--as-of", "2027-01-30", env=_env(port))
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(
        line.startswith("would send") and "to owner@example.com: Renewal in 30 days" in line
        for line in lines
    )
    assert sum("would send" in line for line in lines) == 3
    assert outbox(committed_db.engine) == [] and mailbox.messages == []


def test_send_then_outbox_list_shows_sent_rows(
    committed_db: Database, smtp: tuple[int, Mailbox], cli: Any
) -> None:
    port, mailbox = smtp
    seed_contract(committed_db.engine, renewal_date=RENEWAL)
    result = cli("alerts", "send", "--as-of", "2027-01-30", env=_env(port))
    assert result.exit_code == 0, result.stderr
    assert "3 due, 3 queued; sent 3" in result.stdout
    assert len(mailbox.messages) == 3
    again = cli("alerts", "send", "--as-of", "2027-01-30", env=_env(port))
    assert "3 due, 0 queued; sent 0" in again.stdout and len(mailbox.messages) == 3
    listed = cli("outbox", "list", "--json", env=_env(port))
    rows = json.loads(listed.stdout)
    assert {r["recipient"] for r in rows} == {"owner@example.com", PROCUREMENT, "cpo@example.com"}
    assert all(r["status"] == "sent" and r["attempts"] == 1 for r in rows)
    text = cli("outbox", "list", "--status", "sent", env=_env(port)).stdout
    assert "owner@example.com: Renewal in 30 days" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["alerts", "send", "--as-of", "2027-02-30"], "not a date"),
        (["alerts", "send", "--as-of", "tomorrow"], "not a date"),
        (["outbox", "list", "--status", "lost"], "unknown status 'lost'"),
        (["alerts", "threshold", "x"], "give a number of seats or --clear"),
    ],
)
def test_bad_options_are_usage_errors(
    committed_db: Database, cli: Any, args: list[str], message: str
) -> None:
    result = cli(*args)
    assert result.exit_code == 2 and message in result.stderr


def test_smtp_down_loses_nothing_and_next_run_delivers(committed_db: Database, cli: Any) -> None:
    seed_contract(committed_db.engine, renewal_date=RENEWAL)
    down = cli("alerts", "send", "--as-of", "2027-01-30", env=_env(free_port()))
    assert down.exit_code == 1, down.stdout
    assert "retrying 3" in down.stdout and "delivery problem" in down.stderr
    assert "3 e-mail(s) not delivered (3 will be retried, 0 given up); see" in down.stderr
    rows = outbox(committed_db.engine)
    assert [r.status for r in rows] == ["pending"] * 3
    assert all(r.attempts == 1 and "cannot deliver" in (r.error or "") for r in rows)
    as_json = cli("alerts", "send", "--json", "--as-of", "2027-01-30", env=_env(free_port()))
    assert as_json.exit_code == 1 and json.loads(as_json.stdout)["delivery"]["retrying"] == 3
    assert "3 e-mail(s) not delivered" in as_json.stderr
    with smtp_server() as (port, mailbox):
        back = cli("alerts", "send", "--as-of", "2027-01-31", env=_env(port))
        assert back.exit_code == 0 and "sent 3" in back.stdout, back.stdout
        assert len(mailbox.messages) == 3
    assert [r.status for r in outbox(committed_db.engine)] == ["sent"] * 3


def test_deliver_with_smtp_down_exits_1_naming_the_server_problem(
    committed_db: Database, cli: Any
) -> None:
    seed_contract(committed_db.engine, renewal_date=RENEWAL)
    down_port = free_port()
    queued = cli("alerts", "send", "--dry-run", "--as-of", "2027-01-30", env=_env(down_port))
    assert queued.exit_code == 0 and outbox(committed_db.engine) == []
    cli("alerts", "send", "--as-of", "2027-01-30", env=_env(down_port))
    with committed_db.engine.begin() as conn:  # due again now, as after the backoff
        conn.execute(sa.text("UPDATE notification SET next_attempt_at = NULL"))
    again = cli("alerts", "deliver", env=_env(down_port))
    assert again.exit_code == 1
    assert "retrying 3" in again.stdout
    assert f"cannot deliver through SMTP 127.0.0.1:{down_port}" in again.stderr
    assert [r.attempts for r in outbox(committed_db.engine)] == [2, 2, 2]


def test_permanent_smtp_refusal_is_given_up_with_reason(
    committed_db: Database, smtp: tuple[int, Mailbox], cli: Any
) -> None:
    port, mailbox = smtp
    seed_contract(committed_db.engine, renewal_date=RENEWAL)
    mailbox.fail_with = "550 5.1.1 mailbox unavailable"
    refused = cli("alerts", "send", "--as-of", "2027-01-30", env=_env(port))
    assert refused.exit_code == 1
    assert "3 e-mail(s) not delivered (0 will be retried, 3 given up); see" in refused.stderr
    rows = outbox(committed_db.engine)
    assert [r.status for r in rows] == ["failed"] * 3
    assert all("550" in (r.error or "") and "gave up" in (r.error or "") for r in rows)
    listed = cli("outbox", "list", "--status", "failed", env=_env(port)).stdout
    assert "gave up after 1 attempt(s)" in listed


def test_two_concurrent_alert_processes_send_each_email_exactly_once(
    committed_db: Database, smtp: tuple[int, Mailbox]
) -> None:
    port, mailbox = smtp
    for i in range(10):
        seed_contract(
            committed_db.engine,
            contract_number=f"C-{i}",
            renewal_date=RENEWAL,
            owner_email=f"owner{i}@example.com",
        )
    env = {
        **os.environ,
        **_env(port),
        "SEATWISE_DATABASE_URL": committed_db.url,
        "SEATWISE_SECRET_KEY": "s" * 40,
    }
    command = [sys.executable, "-c", "from app.cli import main; main()"]
    args = ["alerts", "send", "--as-of", "2027-01-30"]
    procs = [
        subprocess.Popen(
            [*command, *args], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err.decode()
    rows = outbox(committed_db.engine)
    assert len(rows) == 10 * 3  # the owner and two procurement addresses per contract
    keys = Counter((str(m["To"]), str(m["Subject"]).strip()) for m in mailbox.messages)
    assert all(count == 1 for count in keys.values()), keys.most_common(3)
    assert len(mailbox.messages) == len(rows)
    assert all(r.status == "sent" and r.attempts == 1 for r in rows)
