"""`seatwise user` and the CLI's exit-code contract."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, select

from app.auth import logins
from app.auth.models import AuditLog
from app.auth.service import authenticate, get_user_by_email
from tests.conftest import Database


def test_user_create_then_list_json(cli: Any) -> None:
    created = cli(
        "user",
        "create",
        "--email",
        "A@Example.com",
        "--role",
        "finance",
        "--password-stdin",
        input="s3cret-pass\n",
    )
    assert created.exit_code == 0, created.stderr
    listed = cli("user", "list", "--json")
    rows = json.loads(listed.stdout)
    assert [(r["email"], r["role"]) for r in rows] == [("a@example.com", "finance")]
    assert "password" not in listed.stdout


def test_duplicate_email_exits_1_naming_the_conflict(cli: Any) -> None:
    args = ("user", "create", "--email", "a@example.com", "--role", "finance", "--password-stdin")
    assert cli(*args, input="s3cret-pass\n").exit_code == 0
    again = cli(*args, input="s3cret-pass\n")
    assert again.exit_code == 1
    assert "a@example.com already exists" in again.stderr
    assert "Traceback" not in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1


def test_an_address_that_is_no_e_mail_is_refused(cli: Any) -> None:
    args = ("user", "create", "--email", "bad3", "--role", "finance", "--password-stdin")
    result = cli(*args, input="s3cret-pass\n")
    assert result.exit_code != 0 and "'bad3' is not an e-mail address" in result.stderr
    assert "bad3" not in cli("user", "list", "--json").stdout


def test_unknown_role_exits_2_listing_valid_roles(cli: Any) -> None:
    result = cli(
        "user",
        "create",
        "--email",
        "a@example.com",
        "--role",
        "wizard",
        "--password-stdin",
        input="x\n",
    )
    assert result.exit_code == 2
    for role in ("admin", "asset_manager", "finance", "procurement", "viewer"):
        assert role in result.stderr


def test_malformed_database_url_exits_1_naming_the_setting(cli: Any) -> None:
    result = cli("user", "list", env={"SEATWISE_DATABASE_URL": "not a url"})
    assert result.exit_code == 1
    assert "SEATWISE_DATABASE_URL" in result.stderr


def test_short_password_refused(cli: Any) -> None:
    result = cli(
        "user",
        "create",
        "--email",
        "b@example.com",
        "--role",
        "viewer",
        "--password-stdin",
        input="short\n",
    )
    assert result.exit_code == 1
    assert "at least 8 characters" in result.stderr


def test_version_and_db_current(cli: Any) -> None:
    version = cli("--version")
    assert version.exit_code == 0 and version.stdout.startswith("seatwise ")
    current = cli("db", "current")
    assert current.exit_code == 0 and "head" in current.stdout


def test_token_create_prints_token_once_and_it_authenticates(cli: Any) -> None:
    cli(
        "user",
        "create",
        "--email",
        "t@example.com",
        "--role",
        "viewer",
        "--password-stdin",
        input="s3cret-pass\n",
    )
    result = cli("token", "create", "--email", "t@example.com", "--name", "ci")
    assert result.exit_code == 0
    assert result.stdout.strip().startswith("sw_")
    missing = cli("token", "create", "--email", "nobody@example.com", "--name", "ci")
    assert missing.exit_code == 1 and "nobody@example.com" in missing.stderr


def test_user_logout_ends_every_login_of_that_user(cli: Any, committed_db: Database) -> None:
    args = ("user", "create", "--email", "a@example.com", "--role", "finance", "--password-stdin")
    assert cli(*args, input="s3cret-pass\n").exit_code == 0
    with Session(committed_db.engine) as s:
        user = get_user_by_email(session=s, email="a@example.com")
        assert user is not None
        keys = [
            logins.start_session(
                session=s, user_id=user.id or 0, client=None, user_agent=None, max_age=60
            )
            for _ in range(2)
        ]
        s.commit()
    done = cli("user", "logout", "A@example.com")
    assert done.exit_code == 0 and "ended 2 logins of a@example.com" in done.stdout
    with Session(committed_db.engine) as s:
        assert [logins.session_user(session=s, key=k, max_age=60) for k in keys] == [None, None]
        logged = s.exec(select(AuditLog).where(AuditLog.action == "user.logout")).one()
        assert logged.target == "a@example.com" and logged.details == {"sessions": 2}
    unknown = cli("user", "logout", "ghost@example.com")
    assert unknown.exit_code == 1 and "no user with e-mail ghost@example.com" in unknown.stderr


def test_set_password_gives_a_new_one_and_ends_the_old_logins(
    cli: Any, committed_db: Database
) -> None:
    args = ("user", "create", "--email", "a@example.com", "--role", "finance", "--password-stdin")
    assert cli(*args, input="s3cret-pass\n").exit_code == 0
    with Session(committed_db.engine) as s:
        user = get_user_by_email(session=s, email="a@example.com")
        assert user is not None
        key = logins.start_session(
            session=s, user_id=user.id or 0, client=None, user_agent=None, max_age=60
        )
        s.commit()
    done = cli("user", "set-password", "a@example.com", "--password-stdin", input="n3w-secret\n")
    assert done.exit_code == 0 and "new password set for a@example.com" in done.stdout
    with Session(committed_db.engine) as s:
        assert logins.session_user(session=s, key=key, max_age=60) is None
        assert authenticate(session=s, email="a@example.com", password="s3cret-pass") is None
        assert authenticate(session=s, email="a@example.com", password="n3w-secret") is not None
    short = cli("user", "set-password", "a@example.com", "--password-stdin", input="short\n")
    assert short.exit_code == 1 and "at least 8 characters" in short.stderr
    ghost = cli("user", "set-password", "b@example.com", "--password-stdin", input="n3w-secret\n")
    assert ghost.exit_code == 1 and "no user with e-mail b@example.com" in ghost.stderr
