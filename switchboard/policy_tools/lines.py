"""Where in the policy file a problem is: a key path such as
`workflows.plan_change.steps[3].call` mapped to its line, so `switchboard policy check` and
start-up print `policy.yaml:42: workflows.plan_change.steps[3].call: unknown tool ...`.

The policy is validated from `yaml.safe_load`, which forgets positions; the file is
composed a second time (`yaml.compose`) only to find lines. A key that is not in the file
(a required field left out) is placed at its deepest parent that is.
"""

from __future__ import annotations

import difflib
import os
import re
import types
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from graph.env_vars import MissingVariable, expand_env
from graph.policy import Policy, problems_of

_PART = re.compile(r"\[(\d+)\]|([^.\[\]]+)")


def key_parts(key: str) -> list[str | int]:
    """`workflows.x.steps[3].call` → ["workflows", "x", "steps", 3, "call"]."""
    if key == "(root)":
        return []
    return [int(index) if index else name for index, name in _PART.findall(key)]


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node, int] | None:
    """The node under `part` and the line that names it (the key's, or the item's)."""
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
        if 0 <= part < len(node.value):
            item = node.value[part]
            return item, item.start_mark.line + 1
        return None
    if isinstance(node, yaml.MappingNode):
        found = None
        for key_node, value_node in node.value:  # the last one wins, as in safe_load
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(part):
                found = value_node, key_node.start_mark.line + 1
        if found is not None:
            return found
        for key_node, value_node in node.value:  # `<<: *anchor` merges
            if key_node.tag == "tag:yaml.org,2002:merge":
                merged = (
                    value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                )
                for source in merged:
                    hit = _child(source, part)
                    if hit is not None:
                        return hit
    return None


def line_of(root: yaml.Node | None, key: str) -> int:
    """The line of `key` in the composed document, else of its deepest parent found."""
    if root is None:
        return 1
    node, line = root, root.start_mark.line + 1
    for part in key_parts(key):
        hit = _child(node, part)
        if hit is None:
            break
        node, line = hit
    return line


@dataclass(frozen=True)
class Problem:
    line: int
    key: str
    message: str

    def render(self, file: str) -> str:
        return f"{file}:{self.line}: {self.key}: {self.message}"


def _models_in(annotation: Any, keyed: bool = False) -> list[tuple[type[BaseModel], bool]]:
    """The models a field holds and whether by name: `X`, `X | None`, `list[X]` (False),
    `dict[str, X]` (True)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [(annotation, keyed)]
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is dict and len(args) == 2:
        return _models_in(args[1], keyed=True)
    if origin in (Union, types.UnionType, list):
        return [found for arg in args for found in _models_in(arg, keyed)]
    return []


def unknown_keys(model: type[BaseModel], node: yaml.Node, path: str = "") -> list[Problem]:
    """Keys no model field takes, which pydantic would drop without a word (a typo such
    as `lable:` then silently means "unset"), each with the nearest key it may have meant
    (pydantic, which forbids them too, cannot say that)."""
    if not isinstance(node, yaml.MappingNode):
        return []
    fields = {(f.alias or name): f for name, f in model.model_fields.items()}
    fields.update(model.model_fields)
    problems: list[Problem] = []
    for key_node, value_node in node.value:
        key = str(key_node.value)
        at = f"{path}.{key}" if path else key
        field = fields.get(key)
        if field is None:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            near = difflib.get_close_matches(key, list(fields), n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            problems.append(Problem(key_node.start_mark.line + 1, at, f"unknown key{hint}"))
            continue
        for inner, keyed in _models_in(field.annotation):
            if isinstance(value_node, yaml.SequenceNode):
                for index, item in enumerate(value_node.value):
                    problems += unknown_keys(inner, item, f"{at}[{index}]")
            elif not keyed:
                problems += unknown_keys(inner, value_node, at)
            elif isinstance(value_node, yaml.MappingNode):
                for name_node, item in value_node.value:
                    problems += unknown_keys(inner, item, f"{at}.{name_node.value}")
    return problems


def _split(problem: str) -> tuple[str, str]:
    key, sep, message = problem.partition(": ")
    if not sep or " " in key:  # a sentence, not a key
        return "(root)", problem
    return key, message


def check_text(
    text: str, environ: Mapping[str, str] | None = None
) -> tuple[Policy | None, list[Problem]]:
    """The policy in `text` (its `${VAR}` read from `environ`, else the process
    environment), or every problem in it with its line."""
    try:
        raw = yaml.safe_load(text)
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else 1
        message = " ".join(str(exc).split())
        return None, [Problem(line, "(yaml)", message)]
    unknown = unknown_keys(Policy, root) if root is not None else []
    try:
        raw = expand_env(raw, os.environ if environ is None else environ)
    except MissingVariable as exc:
        return None, [Problem(line_of(root, exc.key), exc.key, exc.reason)]
    try:
        policy = Policy.model_validate(raw or {})
    except ValidationError as exc:
        found = [_split(problem) for problem in problems_of(exc)]
        named = {problem.key for problem in unknown}  # already listed, with a suggestion
        listed = [
            Problem(line_of(root, key), key, message)
            for key, message in found
            if not (message == "unknown key" and key in named)
        ]
        return None, sorted(unknown + listed, key=lambda problem: problem.line)
    return (None, unknown) if unknown else (policy, [])


def check_file(path: Path) -> tuple[Policy | None, list[str]]:
    """The policy at `path`, or one line per problem: `file:line: key: message`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return None, [f"{path}: {exc.strerror or exc}"]
    policy, problems = check_text(text)
    return policy, [problem.render(str(path)) for problem in problems]
