"""Templates and expressions of written workflows: Jinja2's sandbox, strict about names.

No hand-written evaluator: `if`/`set` are Jinja2 expressions, replies and tool arguments
Jinja2 templates, run in `SandboxedEnvironment` (no attribute tricks reach Python) with
`StrictUndefined` (a misspelt name is an error, not an empty string). Compiled once each.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateError, meta
from jinja2.sandbox import SandboxedEnvironment

from graph.replies import day, money


class _WorkflowEnvironment(SandboxedEnvironment):
    """`order.items` is the order's `items` field, not the dict method of that name:
    workflow variables are plain data, so a key always wins over a method."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, dict) and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


_ENV = _WorkflowEnvironment(undefined=StrictUndefined, autoescape=False)
_ONE_EXPRESSION = re.compile(r"^\s*\{\{(?P<expression>(?:(?!\}\}|\{\{).)*)\}\}\s*$", re.S)


def _day(value: Any) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return day(value)


def _money(cents: Any, currency: str) -> str:
    return money(int(cents), currency)


_ENV.filters["day"] = _day
_ENV.filters["money"] = _money


class WorkflowTemplateError(Exception):
    """A template or expression that does not compile or cannot be evaluated."""


@lru_cache(maxsize=2048)
def _template(source: str) -> Any:
    return _ENV.from_string(source)


@lru_cache(maxsize=2048)
def _expression(source: str) -> Any:
    return _ENV.compile_expression(source, undefined_to_none=False)


def check_template(source: str) -> str | None:
    """Why `source` does not compile, or None."""
    try:
        _template(source)
    except TemplateError as exc:
        return str(exc)
    return None


def check_expression(source: str) -> str | None:
    try:
        _expression(source)
    except TemplateError as exc:
        return str(exc)
    return None


@lru_cache(maxsize=2048)
def names_used(source: str, *, expression: bool) -> frozenset[str]:
    """The names a template or expression reads (for the load-time checks)."""
    try:
        parsed = _ENV.parse("{{ " + source + " }}" if expression else source)
        return frozenset(meta.find_undeclared_variables(parsed))
    except TemplateError:
        return frozenset()  # reported as a syntax error


def render(source: str, names: dict[str, Any]) -> str:
    try:
        return str(_template(source).render(names))
    except TemplateError as exc:
        raise WorkflowTemplateError(f"{source!r}: {exc}") from exc


def evaluate(source: str, names: dict[str, Any]) -> Any:
    try:
        return _expression(source)(**names)
    except TemplateError as exc:
        raise WorkflowTemplateError(f"{source!r}: {exc}") from exc


def value(template: Any, names: dict[str, Any]) -> Any:
    """A tool argument or ticket field: "{{ x }}" alone keeps x's type; other text renders
    to a string; numbers and lists are taken as they are written (lists item by item)."""
    if isinstance(template, str):
        whole = _ONE_EXPRESSION.match(template)
        if whole:
            return evaluate(whole.group("expression"), names)
        return render(template, names)
    if isinstance(template, list):
        return [value(item, names) for item in template]
    if isinstance(template, dict):
        return {key: value(item, names) for key, item in template.items()}
    return template


def variable(result: Any) -> Any:
    """A tool's result as workflows see it: plain data (dataclass fields and properties,
    dates as ISO text), so it fits in a checkpoint and templates read `order.status`."""
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        plain = {f.name: variable(getattr(result, f.name)) for f in dataclasses.fields(result)}
        for name, member in vars(type(result)).items():
            if isinstance(member, property):
                plain[name] = variable(getattr(result, name))
        return plain
    if isinstance(result, list | tuple):
        return [variable(item) for item in result]
    if isinstance(result, dict):
        return {str(key): variable(item) for key, item in result.items()}
    if isinstance(result, datetime):
        return result.isoformat()
    if isinstance(result, str | int | float | bool) or result is None:
        return result
    return str(result)
