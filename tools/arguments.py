"""A tool's arguments: the JSON Schema the model is shown, and the check every call passes
before anything runs (types, enums, patterns).

Built-in tools describe their arguments by their signature (a pydantic model built from
it); a connector's tool by the `parameters` schema its policy entry gives. Either way the
customer is never an argument: the engine binds it (`Caller`).
"""

from __future__ import annotations

import inspect
from functools import cache
from typing import Any, get_type_hints

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from pydantic import BaseModel, ValidationError, create_model

from tools.base import ToolError, ToolSpec

INJECTED = {"session", "caller"}
NO_ARGUMENTS: dict[str, Any] = {"type": "object", "properties": {}}


class InvalidArguments(ToolError):
    """The arguments do not fit the tool's schema; nothing was called."""

    status = "invalid"


def model_name(tool_name: str) -> str:
    """OpenAI function names allow no dots: `payments.refund` → `payments__refund`."""
    return tool_name.replace(".", "__")


@cache
def _signature_model(spec: ToolSpec) -> type[BaseModel]:
    hints = get_type_hints(spec.func)
    fields: dict[str, Any] = {}
    for name, parameter in inspect.signature(spec.func).parameters.items():
        if name in INJECTED or parameter.kind is inspect.Parameter.VAR_KEYWORD:
            continue
        default = ... if parameter.default is inspect.Parameter.empty else parameter.default
        fields[name] = (hints.get(name, Any), default)
    return create_model(model_name(spec.name), **fields)


@cache
def _validator(spec: ToolSpec) -> Draft202012Validator:
    return Draft202012Validator(spec.parameters or NO_ARGUMENTS)


def schema_problem(parameters: dict[str, Any]) -> str | None:
    """Why a policy's `parameters` is not a usable JSON Schema for arguments (None: it is)."""
    try:
        Draft202012Validator.check_schema(parameters)
    except SchemaError as exc:
        return exc.message
    if parameters.get("type", "object") != "object":
        return "parameters must describe an object (type: object)"
    return None


def arguments_schema(spec: ToolSpec) -> dict[str, Any]:
    """The JSON Schema of the tool's arguments, as a model is shown it."""
    if spec.parameters is not None:
        return {"type": "object", **spec.parameters}
    schema = _signature_model(spec).model_json_schema()
    schema.pop("title", None)
    return schema


def check_arguments(spec: ToolSpec, arguments: dict[str, Any]) -> dict[str, Any]:
    """The arguments as the tool takes them; `InvalidArguments` naming the first problem."""
    if spec.parameters is None:
        try:
            return _signature_model(spec).model_validate(arguments).model_dump()
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(part) for part in error["loc"])
            raise InvalidArguments(f"{where}: {error['msg']}" if where else error["msg"]) from None
    errors = sorted(_validator(spec).iter_errors(arguments), key=lambda e: list(e.path))
    if errors:
        where = ".".join(str(part) for part in errors[0].path)
        message = errors[0].message
        raise InvalidArguments(f"{where}: {message}" if where else message)
    return dict(arguments)
