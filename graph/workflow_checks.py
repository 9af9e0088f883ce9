"""Checks on written workflows when the policy loads: every problem a team could make,
each named by its key (`workflows.plan_change.steps[3].call: unknown tool 'orders.gett'`),
so a mistake fails at start instead of in a customer's conversation."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from graph.templates import check_expression, check_template, names_used
from graph.workflow_language import (
    Agent,
    Ask,
    Call,
    End,
    Fill,
    Handoff,
    If,
    Notify,
    Offer,
    Reask,
    Say,
    Set,
    Step,
    Ticket,
    walk,
)

NAMES = (
    "slots",
    "customer",
    "entities",
    "message",
    "channel",
    "now",
    "company",
    "currency",
    "workflow",
    "lang",
)
"""What every template and expression may use, besides the workflow's own variables."""


def _texts(step: Any) -> list[tuple[str, str, bool]]:
    """(key, source, is an expression) of every template and expression in a step."""
    found: list[tuple[str, str, bool]] = []

    def templates(key: str, value: Any) -> None:
        if isinstance(value, str):
            found.append((key, value, False))
        elif isinstance(value, dict):
            for name, item in value.items():
                templates(f"{key}.{name}", item)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                templates(f"{key}[{index}]", item)

    if isinstance(step, If):
        found.append(("if", step.if_, True))
    elif isinstance(step, Ask | Reask) and step.choices:
        found.append(("choices", step.choices, True))
    elif isinstance(step, Fill):
        found.extend((f"fill.{name}", source, True) for name, source in step.fill.items())
    elif isinstance(step, Offer):
        found.append(("offer", step.offer, True))
    elif isinstance(step, Set):
        found.extend((f"set.{name}", source, True) for name, source in step.set.items())
    elif isinstance(step, Call):
        templates("with", step.with_)
        if step.summary:
            templates("summary", step.summary)
        if step.waiting:
            templates("waiting", step.waiting)
    elif isinstance(step, Say):
        templates("reply", step.reply)
        templates("quick_replies", step.quick_replies)
    elif isinstance(step, Ticket):
        templates("ticket", step.ticket.model_dump(exclude_none=True))
    elif isinstance(step, Notify):
        templates("notify", step.notify)
    elif isinstance(step, Handoff):
        templates("handoff", step.handoff.model_dump(exclude_none=True))
    if isinstance(step, Reask) and step.hint:
        templates("hint", step.hint)
    return found


def _after_end(steps: list[Any], path: str) -> list[str]:
    problems: list[str] = []
    for position, step in enumerate(steps):
        label = f"{path}[{position}]"
        if isinstance(step, End | Handoff) and position + 1 < len(steps):
            problems.append(f"{path}[{position + 1}]: a step after {label} never runs")
        if isinstance(step, If):
            problems += _after_end(step.then, f"{label}.then") + _after_end(
                step.else_, f"{label}.else"
            )
        if isinstance(step, Call) and step.on_error:
            problems += _after_end(step.on_error, f"{label}.on_error")
        if isinstance(step, Agent) and step.else_:
            problems += _after_end(step.else_, f"{label}.else")
    return problems


def workflow_problems(
    prefix: str, steps: list[Step], slots: Collection[str], tools: Mapping[str, str]
) -> list[str]:
    """Every problem of one workflow's `steps`: `slots` are the slots it declares, `tools`
    the tools this policy offers (name → risk)."""
    if not steps:
        return [f"{prefix}.steps: a workflow needs at least one step"]
    walked = walk(steps)
    declared = set(NAMES)
    for _, step in walked:
        if isinstance(step, Call | Ticket | Agent) and step.as_:
            declared.add(step.as_)
        if isinstance(step, Set):
            declared.update(step.set)
    problems: list[str] = []
    for label, step in walked:
        at = f"{prefix}.{label}"
        if isinstance(step, Ask | Reask):
            slot = step.ask if isinstance(step, Ask) else step.reask
            if slot not in slots:
                kind = "ask" if isinstance(step, Ask) else "reask"
                problems.append(f"{at}.{kind}: unknown slot {slot!r} (declare it under slots:)")
        if isinstance(step, Say) and step.quick_replies_from not in (None, *slots):
            problems.append(f"{at}.quick_replies_from: unknown slot {step.quick_replies_from!r}")
        if isinstance(step, Fill):
            problems.extend(
                f"{at}.fill.{slot}: unknown slot {slot!r} (declare it under slots:)"
                for slot in step.fill
                if slot not in slots
            )
        if isinstance(step, Call) and step.call not in tools:
            problems.append(f"{at}.call: unknown tool {step.call!r}")
        if isinstance(step, Agent):
            problems.extend(
                f"{at}.agent.tools: unknown tool {name!r}"
                for name in step.agent.tools
                if name not in tools
            )
        for key, source, expression in _texts(step):
            error = check_expression(source) if expression else check_template(source)
            if error:
                problems.append(f"{at}.{key}: {error}")
                continue
            unknown = sorted(names_used(source, expression=expression) - declared)
            if unknown:
                problems.append(f"{at}.{key}: unknown variable {unknown[0]!r}")
    problems += [f"{prefix}.{p}" for p in _after_end(steps, "steps")]
    return problems
