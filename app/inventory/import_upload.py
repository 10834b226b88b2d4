"""What the contract and invoice upload endpoints share: reading the upload, refusals.

A refused file answers 422 problem+json whose ``errors`` list holds one
``{row, column, problem}`` per problem, so a client can show them next to the rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, File, Form, UploadFile
from fastapi.responses import JSONResponse
from sqlmodel import Session

from app.core.body_limit import MAX_UPLOAD_BYTES
from app.core.db import retrying_deadlocks
from app.core.errors import InvalidInputError
from app.inventory.contract_schemas import ImportResultRead
from app.inventory.import_files import ImportRefused, ImportResult

#: The form fields every import endpoint takes.
ImportFile = Annotated[UploadFile, File(description="CSV or XLSX (one sheet).")]
DecimalComma = Annotated[bool, Form(description="Amounts are written 1.234,56.")]


class UploadTooLarge(InvalidInputError):
    """The uploaded file is larger than an import accepts."""

    status_code = 413
    title = "Upload too large"


@dataclass(frozen=True)
class Upload:
    """An uploaded file, read on the event loop before the route runs.

    Routes that import are plain functions, which FastAPI runs in its thread pool: an
    ``async`` route writing through the request's session blocked the event loop while
    it waited for the database, so every other request stalled behind it, and on
    PostgreSQL the server hung for good once that wait was for a request the loop could
    no longer finish.
    """

    data: bytes
    filename: str | None

    def checked(self) -> bytes:
        """The bytes, refusing files over :data:`MAX_UPLOAD_BYTES`."""
        if len(self.data) > MAX_UPLOAD_BYTES:
            raise UploadTooLarge(
                f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB; split it"
            )
        return self.data


async def _read_upload(file: ImportFile) -> Upload:
    return Upload(await file.read(MAX_UPLOAD_BYTES + 1), file.filename)


#: The uploaded file of an import route (read up to one byte over the limit).
Uploaded = Annotated[Upload, Depends(_read_upload)]


def refused_response(session: Session, exc: ImportRefused) -> JSONResponse:
    """Roll back anything staged and answer 422 with every problem."""
    session.rollback()
    body = {
        "type": "about:blank",
        "title": "Import refused",
        "status": 422,
        "detail": str(exc),
        "errors": [p.as_dict() for p in exc.problems],
    }
    return JSONResponse(body, status_code=422, media_type="application/problem+json")


def import_upload(
    session: Session, upload: Upload, load: Callable[[bytes], ImportResult]
) -> ImportResultRead | JSONResponse:
    """``load`` the upload (parse and write), answering 422 if it is refused."""
    data = upload.checked()
    try:
        result = retrying_deadlocks(session, lambda: load(data))
    except ImportRefused as exc:
        return refused_response(session, exc)
    return ImportResultRead(**result.as_dict())
