"""Models and migrations agree, and migrations go all the way down and up again."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import app.models as models
from app.core import migrate
from tests.conftest import Database


def test_models_and_migrations_have_no_autogenerate_diff(database: Database) -> None:
    with database.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        diff = compare_metadata(context, models.metadata)
    assert diff == []


def test_downgrade_base_then_upgrade_again(database: Database) -> None:
    migrate.downgrade(database.engine, "base")
    try:
        tables = set(sa.inspect(database.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        assert migrate.current(database.engine) is None
    finally:
        migrate.upgrade(database.engine)
    assert migrate.current(database.engine) == migrate.head(database.engine)
    assert set(models.metadata.tables) <= set(sa.inspect(database.engine).get_table_names())


def test_an_unknown_revision_is_a_usage_error_listing_the_shipped_ones(cli: Any) -> None:
    for command in ("upgrade", "downgrade"):
        result = cli("db", command, "nosuchrev")
        assert result.exit_code == 2 and "nosuchrev" in result.stderr, command
        assert "0001" in result.stderr


def test_serve_says_plainly_when_its_port_is_taken_or_out_of_range(cli: Any) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("serve", "--port", str(port))
    assert result.exit_code == 1 and f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert cli("serve", "--port", "99999").exit_code == 2


def test_an_unmigrated_database_says_to_run_db_upgrade(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from app.cli import main
    from app.core import cli_runtime

    monkeypatch.setenv("SEATWISE_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    monkeypatch.setenv("SEATWISE_SECRET_KEY", "k" * 40)
    monkeypatch.setattr(cli_runtime.state, "_settings", None)
    monkeypatch.setattr(cli_runtime.state, "_engine", None)
    with pytest.raises(SystemExit) as exited:
        main(["user", "list"])
    assert exited.value.code == 1 and "seatwise db upgrade" in capsys.readouterr().err


def test_budgets_are_unique_per_scope_and_year_and_duplicates_are_folded(
    database: Database,
) -> None:
    insert = sa.text(
        "INSERT INTO budget (department, cost_centre, year, amount, currency) "
        "VALUES (:d, :c, :y, :a, 'EUR')"
    )
    rows = [
        {"d": "Sales", "c": None, "y": 2026, "a": 100},
        {"d": "Sales", "c": None, "y": 2026, "a": 200},
        {"d": None, "c": "CC-1", "y": 2026, "a": 300},
        {"d": None, "c": "CC-1", "y": 2026, "a": 400},
        {"d": "Sales", "c": None, "y": 2027, "a": 500},
    ]
    migrate.downgrade(database.engine, "0009_login_sessions")
    try:
        with database.engine.begin() as conn:
            conn.execute(insert, rows)  # the old key let these duplicates in
    finally:
        migrate.upgrade(database.engine)
    amounts = sa.text("SELECT department, cost_centre, year, amount FROM budget ORDER BY amount")
    with database.engine.begin() as conn:
        kept = [(d, c, y, int(a)) for d, c, y, a in conn.execute(amounts)]
        conn.execute(sa.text("DELETE FROM budget"))
    assert kept == [
        ("Sales", None, 2026, 200),
        (None, "CC-1", 2026, 400),
        ("Sales", None, 2027, 500),
    ]
    for bad in (
        [{"d": "Ops", "c": None, "y": 2026, "a": 1}, {"d": "Ops", "c": None, "y": 2026, "a": 2}],
        [{"d": None, "c": "CC-2", "y": 2026, "a": 1}, {"d": None, "c": "CC-2", "y": 2026, "a": 2}],
        [{"d": "Ops", "c": "CC-2", "y": 2026, "a": 1}],
        [{"d": None, "c": None, "y": 2026, "a": 1}],
    ):
        with pytest.raises(sa.exc.IntegrityError), database.engine.begin() as conn:
            conn.execute(insert, bad)
    with database.engine.begin() as conn:  # a department and a cost centre of one name
        conn.execute(insert, [{"d": "X", "c": None, "y": 2026, "a": 1}])
        conn.execute(insert, [{"d": None, "c": "X", "y": 2026, "a": 1}])
        conn.execute(sa.text("DELETE FROM budget"))


def test_a_budget_naming_both_scopes_stops_the_upgrade_naming_it(database: Database) -> None:
    migrate.downgrade(database.engine, "0009_login_sessions")
    try:
        with database.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO budget (id, department, cost_centre, year, amount, currency) "
                    "VALUES (77, 'Sales', 'CC-1', 2026, 1, 'EUR')"
                )
            )
        with pytest.raises(RuntimeError, match="budget rows 77 name both"):
            migrate.upgrade(database.engine)
        with database.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM budget"))
    finally:
        migrate.upgrade(database.engine)
    assert migrate.current(database.engine) == migrate.head(database.engine)
