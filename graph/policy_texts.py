"""The texts a policy file gives the customer, and in which languages it gives them.

Every customer-facing text of the policy (a workflow's replies, quick replies, prompts,
hints, label and topics, the approval waiting message, the satisfaction question) is one
text or one per language code (`Wording`). Codes outside the policy's `languages` are an
error when the policy loads; a language a text is not given in is said in the policy's
default language, and `switchboard policy check` lists those gaps. Staff-facing texts
(ticket and approval summaries, staff notices) are written once, in the default language.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol

from graph.i18n import _, speaking
from graph.workflow_language import Call, Reask, Say, Wording, walk

QUICK_REPLIES = "quick_replies"


# What these checks read of a policy (graph/policy.py's models have it): described here
# so that the policy, which runs the checks when it loads, is not imported by them.
class _SlotTexts(Protocol):
    @property
    def prompt(self) -> Wording: ...
    @property
    def hint(self) -> Wording: ...


class _WorkflowTexts(Protocol):
    @property
    def label(self) -> Wording: ...
    @property
    def topics(self) -> Mapping[str, Wording]: ...
    @property
    def slots(self) -> Mapping[str, _SlotTexts]: ...
    @property
    def steps(self) -> list[Any] | None: ...


class _CsatTexts(Protocol):
    @property
    def question(self) -> Wording: ...


class PolicyTexts(Protocol):
    """A policy's customer-facing texts and the languages it speaks."""

    @property
    def workflows(self) -> Mapping[str, _WorkflowTexts]: ...
    @property
    def csat(self) -> _CsatTexts: ...
    @property
    def language(self) -> str: ...
    @property
    def languages(self) -> Sequence[str]: ...


def wordings(policy: PolicyTexts) -> Iterator[tuple[str, Any]]:
    """(key, text) of every customer-facing text in `policy`, in file order."""
    for name, workflow in policy.workflows.items():
        at = f"workflows.{name}"
        yield f"{at}.label", workflow.label
        for flag, topic in workflow.topics.items():
            yield f"{at}.topics.{flag}", topic
        for slot_name, slot in workflow.slots.items():
            yield f"{at}.slots.{slot_name}.prompt", slot.prompt
            yield f"{at}.slots.{slot_name}.hint", slot.hint
        for label, step in walk(workflow.steps or []):
            if isinstance(step, Say):
                yield f"{at}.{label}.reply", step.reply
                for index, button in enumerate(step.quick_replies):
                    yield f"{at}.{label}.{QUICK_REPLIES}[{index}]", button
            elif isinstance(step, Reask):
                yield f"{at}.{label}.hint", step.hint
            elif isinstance(step, Call) and step.waiting is not None:
                yield f"{at}.{label}.waiting", step.waiting
    yield "csat.question", policy.csat.question


def _spoken(policy: PolicyTexts) -> list[str]:
    return list(dict.fromkeys([policy.language, *policy.languages]))


def language_problems(policy: PolicyTexts) -> list[str]:
    """A text given in a language the policy does not speak: one line naming its key."""
    spoken = _spoken(policy)
    problems: list[str] = []
    for key, text in wordings(policy):
        if isinstance(text, dict):
            problems.extend(
                f"{key}.{code}: {code!r} is not one of languages ({', '.join(spoken)})"
                for code in text
                if code not in spoken
            )
    return problems


def missing_languages(policy: PolicyTexts) -> list[tuple[str, list[str]]]:
    """(key, languages it is not given in) of every text missing a translation: those
    languages hear it in the policy's default language. A quick reply given once is a
    button of the code's catalogues ("Talk to a person") where they translate it."""
    spoken = _spoken(policy)
    others = [code for code in spoken if code != policy.language]
    missing: list[tuple[str, list[str]]] = []
    for key, text in wordings(policy):
        if not text:
            continue
        if isinstance(text, dict):
            gaps = [code for code in spoken if not text.get(code)]
        elif key.rpartition(".")[2].startswith(QUICK_REPLIES):
            gaps = [code for code in others if not _catalogued(text, code)]
        else:
            gaps = others
        if gaps:
            missing.append((key, gaps))
    return missing


def _catalogued(text: str, code: str) -> bool:
    with speaking(code, code):
        return _(text) != text
