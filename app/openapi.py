"""The OpenAPI document as the API really answers: errors are RFC 9457 problem+json.

FastAPI documents a 422 as its own ``HTTPValidationError`` (``{"detail": [...]}``) and
nothing of 401, 403 or 404, while every error of ``/api/`` is problem+json
(:func:`app.main.problem`). Rather than a ``responses=`` on each route, the document is
corrected here, in one place, from what each operation declares: the bearer scheme (401),
roles as the scheme's scopes (403, naming them), a path parameter or a filter naming a
row (404).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field

PROBLEM_MEDIA_TYPE = "application/problem+json"
FASTAPI_422 = "#/components/schemas/HTTPValidationError"


class Problem(BaseModel):
    """An error (RFC 9457): ``title`` says what kind, ``detail`` what to do next."""

    type: str = Field(default="about:blank", description="Always about:blank: see title.")
    title: str = Field(description="The kind of error, e.g. 'Not found'.")
    status: int = Field(description="The HTTP status code, repeated.")
    detail: str = Field(description="What went wrong and what to do next, for a person.")


class FieldProblem(BaseModel):
    """One refused part of a request."""

    loc: list[str | int] = Field(description="Where: 'body', 'query' or 'path', then the field.")
    msg: str = Field(description="What is wrong with it.")


class ValidationProblem(Problem):
    """A refused request (422): ``detail`` names every problem, ``errors`` lists them."""

    errors: list[FieldProblem] = Field(
        default_factory=list,
        description="Each refused field (empty when a rule over the data refused it).",
    )


NAMED_FILTERS = frozenset({"connector", "product", "application"})
"""Query parameters naming a row: one that names nothing answers 404, as a path does."""


def _problem(description: str, schema: str = "Problem") -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{schema}"}
    return {"description": description, "content": {PROBLEM_MEDIA_TYPE: {"schema": ref}}}


def _document_errors(operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    refused = responses.get("422")
    if refused is not None:
        content: dict[str, Any] = refused.get("content", {})
        first: dict[str, Any] = next(iter(content.values()), {})
        schema: dict[str, Any] = first.get("schema", {})
        if schema.get("$ref") == FASTAPI_422 or not schema:
            responses["422"] = _problem(
                "The request was refused: `detail` says why, `errors` names each field.",
                "ValidationProblem",
            )
        else:  # the route's own 422 (an import's row errors), or a refused field
            either = {"anyOf": [schema, {"$ref": "#/components/schemas/ValidationProblem"}]}
            refused["content"] = {PROBLEM_MEDIA_TYPE: {"schema": either}}
    requirements: list[dict[str, list[str]]] = operation.get("security", [])
    if requirements:
        responses.setdefault(
            "401", _problem("No valid bearer token (nor login): send `Authorization: Bearer …`.")
        )
    # A role guard lists its roles as the bearer scheme's scopes (app.deps.require_roles).
    roles = sorted({role for r in requirements for scopes in r.values() for role in scopes})
    if roles:
        allowed = ", ".join(roles)
        responses.setdefault("403", _problem(f"Only these roles may do this: {allowed}."))
    names_a_row = any(
        p["in"] == "path" or (p["in"] == "query" and p["name"] in NAMED_FILTERS)
        for p in operation.get("parameters", [])
    )
    if names_a_row:
        responses.setdefault("404", _problem("Nothing of that name or id: `detail` names it."))
    for status, answer in responses.items():  # a route's own (a 409 by description only)
        if status >= "400" and not answer.get("content"):
            answer["content"] = _problem("")["content"]


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document of ``app``, its errors as the API answers them."""
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description="Every error is `application/problem+json` (RFC 9457).",
        routes=app.routes,
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (Problem, FieldProblem, ValidationProblem):
        components[model.__name__] = model.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        components[model.__name__].pop("$defs", None)
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            if path.startswith("/api/"):
                _document_errors(operation)
            elif "422" in operation.get("responses", {}):  # a page shows its error page
                operation["responses"]["422"] = {
                    "description": "The error page, naming what in the address or form is wrong.",
                    "content": {"text/html": {"schema": {"type": "string"}}},
                }
    referenced = json.dumps(schema["paths"])
    if f'"{FASTAPI_422}"' not in referenced:
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
    return schema


def install_openapi(app: FastAPI) -> None:
    """Serve :func:`build_openapi` at ``/openapi.json`` (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
