"""What the contract and invoice upload endpoints share: reading the upload, refusals.

A refused file answers 422 problem+json whose ``errors`` list holds one
``{row, column, problem}`` per problem, so a client can show them next to the rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import File, Form, UploadFile
from fastapi.responses import JSONResponse
from sqlmodel import Session

from app.core.errors import InvalidInputError
from app.inventory.contract_schemas import ImportResultRead
from app.inventory.import_files import ImportRefused, ImportResult

MAX_UPLOAD_BYTES = 20 * 1024 * 1024

#: The form fields every import endpoint takes.
ImportFile = Annotated[UploadFile, File(description="CSV or XLSX (one sheet).")]
DecimalComma = Annotated[bool, Form(description="Amounts are written 1.234,56.")]


class UploadTooLarge(InvalidInputError):
    """The uploaded file is larger than an import accepts."""

    status_code = 413
    title = "Upload too large"


async def read_upload(file: UploadFile) -> bytes:
    """The uploaded bytes, refusing files over :data:`MAX_UPLOAD_BYTES`."""
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadTooLarge(
            f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB; split it"
        )
    return data


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


async def import_upload(
    session: Session, file: UploadFile, load: Callable[[bytes], ImportResult]
) -> ImportResultRead | JSONResponse:
    """Read the upload and ``load`` it (parse and write), answering 422 if it is refused."""
    data = await read_upload(file)
    try:
        result = load(data)
    except ImportRefused as exc:
        return refused_response(session, exc)
    return ImportResultRead(**result.as_dict())
