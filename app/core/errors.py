"""Errors services raise; the edges (CLI, API, pages) turn them into exit codes and RFC 9457."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError


class SeatwiseError(Exception):
    """An operational error whose message is shown to the user as is (CLI exit 1)."""

    status_code: int = 400
    title: str = "Request failed"


class NotFoundError(SeatwiseError):
    """The thing asked for does not exist."""

    status_code = 404
    title = "Not found"


class ConflictError(SeatwiseError):
    """The change conflicts with existing data (duplicate name, e-mail, key)."""

    status_code = 409
    title = "Conflict"


class InvalidInputError(SeatwiseError):
    """The input is well-formed but not acceptable (unknown role, bad config key)."""

    status_code = 422
    title = "Invalid input"


class PermissionDeniedError(SeatwiseError):
    """The user's role does not allow this."""

    status_code = 403
    title = "Forbidden"


def check_choice(value: str | None, allowed: Sequence[str], what: str) -> str | None:
    """Return ``value`` when it is one of ``allowed`` (or None, no filter).

    The rule for every enumerated filter (status, kind, severity): an unknown value is
    refused naming the allowed ones (API 422; the CLI checks first and exits 2), never
    answered with an empty list a caller would take for "none".

    Raises:
        InvalidInputError: ``value`` is none of ``allowed``.
    """
    if value is not None and value not in allowed:
        raise InvalidInputError(f"unknown {what} {value!r}; expected one of {', '.join(allowed)}")
    return value


def problem_text(exc: ValidationError | SeatwiseError) -> str:
    """What a refused form or command shows: each field and its problem, or the message."""
    if isinstance(exc, ValidationError):
        return "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors())
    return str(exc)


RETRY_AFTER_SECONDS = 5
"""What a 503 (a busy database) tells the client to wait before trying again."""


def retry_after(headers: Any, status_code: int) -> None:
    """Tell the client of a 503 when to try again (``Retry-After``, RFC 9110)."""
    if status_code == 503:
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)


class DatabaseBusyError(SeatwiseError):
    """The database stayed busy with another change longer than this one could wait."""

    status_code = 503
    title = "Database busy"


class DatabaseUnavailableError(SeatwiseError):
    """The database could not be reached, or refused the statement for a reason of its own."""

    status_code = 503
    title = "Database unavailable"


class DeadlockError(DatabaseBusyError):
    """The database ended this change so that another could finish (a deadlock found, or
    a serialization failure): nothing of it was saved, and running it again from the start
    is the remedy (:func:`app.core.db.retrying_deadlocks`)."""


RETRIED_SQLSTATES = frozenset({"40P01", "40001"})
"""PostgreSQL's "deadlock detected" and "could not serialize access" (see DeadlockError).
Not a lock timeout (55P03): that change already waited its fill."""
BUSY_SQLSTATES = frozenset({"55P03", *RETRIED_SQLSTATES})
"""PostgreSQL's lock not available (a lock timeout), deadlock found, serialization failure."""


def from_database_error(exc: SQLAlchemyError) -> SeatwiseError | None:
    """What a database error means to the person who asked, or None for a bug.

    Concurrent writers are normal (a sync, an import, a scheduled job, several app
    processes): a lock waited for in vain, or a unique key taken by a change committed
    a moment earlier, is answered 503 or 409 with the database's own words, and nothing
    of the change is saved; retrying is the remedy. Anything else is a bug (500).
    """
    orig = getattr(exc, "orig", None)
    detail = (str(orig or exc).strip().splitlines() or [type(exc).__name__])[0]
    if isinstance(exc, IntegrityError):
        return ConflictError(
            f"the change conflicts with data saved at the same moment ({detail}); nothing "
            "was saved: try again"
        )
    if isinstance(exc, PoolTimeoutError):
        return DatabaseBusyError(
            "every database connection of this server stayed busy for longer than this "
            "request could wait; nothing was saved: try again in a moment"
        )
    if not isinstance(exc, OperationalError):
        return None
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate in BUSY_SQLSTATES or "database is locked" in detail:
        busy = DeadlockError if sqlstate in RETRIED_SQLSTATES else DatabaseBusyError
        return busy(
            f"the database stayed busy with another change (a sync or an import, say) for "
            f"longer than this one could wait ({detail}); nothing was saved: try again in "
            "a moment"
        )
    return DatabaseUnavailableError(f"the database refused the request ({detail})")
