"""Body and query templates of connector tools: `{plan: "{{ args.plan }}"}`.

A string that is one expression keeps the expression's type (a number stays a number);
any other string is rendered as text. Sandboxed and strict: an unknown name is an error,
not an empty string sent to the company's system.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from tools.base import ToolError

_ENV = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
_ONE_EXPRESSION = re.compile(r"^\{\{(?P<expression>(?:(?!\}\}|\{\{).)*)\}\}$", re.S)


@cache
def _expression(source: str) -> Any:
    return _ENV.compile_expression(source, undefined_to_none=False)


@cache
def _template(source: str) -> Any:
    return _ENV.from_string(source)


def template_problem(value: Any) -> str | None:
    """Why `value` (a body or query template) does not compile (None: it does)."""
    try:
        _walk(value, lambda s: _compiled(s))
    except TemplateError as exc:
        return str(exc)
    return None


def _compiled(source: str) -> Any:
    match = _ONE_EXPRESSION.match(source.strip())
    return _expression(match["expression"]) if match else _template(source)


def render_value(value: Any, names: dict[str, Any]) -> Any:
    def render(source: str) -> Any:
        match = _ONE_EXPRESSION.match(source.strip())
        if match:
            result = _expression(match["expression"])(**names)
            if result is StrictUndefined or isinstance(result, StrictUndefined):
                raise ToolError(f"template {source!r}: undefined")
            return result
        return _template(source).render(**names)

    try:
        return _walk(value, render)
    except TemplateError as exc:
        raise ToolError(f"template error: {exc}") from None


def _walk(value: Any, render: Any) -> Any:
    if isinstance(value, str):
        return render(value) if "{{" in value or "{%" in value else value
    if isinstance(value, dict):
        return {key: _walk(item, render) for key, item in value.items()}
    if isinstance(value, list):
        return [_walk(item, render) for item in value]
    return value
