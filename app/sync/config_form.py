"""HTML form fields generated from a connector's pydantic config model (secrets write-only)."""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined


@dataclass(frozen=True)
class FormField:
    """One input of a connector's form."""

    name: str
    title: str
    description: str
    input_type: str  # text | password | checkbox | number
    required: bool
    default: Any
    secret: bool


def _base_type(annotation: Any) -> Any:
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else str
    return annotation


def form_fields(model: type[BaseModel]) -> list[FormField]:
    """The fields of ``model`` as form inputs, required ones first."""
    fields = []
    for name, info in model.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        secret = bool(extra.get("secret"))
        base = _base_type(info.annotation)
        if secret:
            kind = "password"
        elif base is bool:
            kind = "checkbox"
        elif base in (int, float):
            kind = "number"
        else:
            kind = "text"
        default = None if info.default is PydanticUndefined else info.default
        fields.append(
            FormField(
                name=name,
                title=info.title or name.replace("_", " ").capitalize(),
                description=info.description or "",
                input_type=kind,
                required=info.is_required(),
                default=default,
                secret=secret,
            )
        )
    return sorted(fields, key=lambda f: (not f.required, f.input_type == "checkbox"))


def config_from_form(model: type[BaseModel], form: Mapping[str, Any]) -> dict[str, Any]:
    """The config dict a submitted form stands for: blanks left out, checkboxes as booleans."""
    data: dict[str, Any] = {}
    for field in form_fields(model):
        if field.input_type == "checkbox":
            if form.get(field.name) is not None:
                data[field.name] = True
            continue
        raw = form.get(field.name)
        value = raw.strip() if isinstance(raw, str) else ""
        if value:
            data[field.name] = value
    return data
