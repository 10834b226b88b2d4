"""Errors services raise; the edges (CLI, API, pages) turn them into exit codes and RFC 9457."""

from __future__ import annotations

from pydantic import ValidationError


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


def problem_text(exc: ValidationError | SeatwiseError) -> str:
    """What a refused form or command shows: each field and its problem, or the message."""
    if isinstance(exc, ValidationError):
        return "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors())
    return str(exc)
