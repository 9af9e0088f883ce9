"""Checks on a model's reply before a customer sees it.

Only what a tool returned may be stated: amounts and other figures are compared with tool
output, an answer must cite the results it rests on, refund promises need an executed
refund, and internal ids, other people's e-mail addresses and the instructions themselves
must not leak. Small talk states nothing at all: no figures, names or claims about the
world or the account. A failed check means a safe reply (and, for the agent, a person).
A reply is in the conversation's language (or the one the customer just wrote in): a
customer is never answered in a language they did not write in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from graph.language import detect

_AMOUNT = re.compile(
    r"(?:[€$£]\s?(\d+(?:[.,]\d{1,2})?))|(?:(\d+(?:[.,]\d{1,2})?)\s?(?:eur|euros?|usd|dollars?|gbp)\b)",
    re.I,
)
_INTERNAL_ID = re.compile(r"\b(?:ch|cus|msg|approval)_[a-z0-9_]+\b", re.I)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
_PROMISE = re.compile(
    r"(refund|money)[^.!?]{0,60}\b(has been|was|will be|is being|'ll be)\s+"
    r"(issued|processed|sent|refunded|credited|returned)|you will (receive|get) (a|your) refund",
    re.I,
)
_LEAK = ("rules you always follow", "system prompt", "tools already know")
_MARKUP = re.compile(r"</?[A-Za-z_][\w.-]*>|\{\s*\"|```")
"""Tags, JSON or code fences: what a model wrote for a program, not for a customer."""
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
_DIGITS = re.compile(r"\d+")
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_ACRONYM = re.compile(r"\b[A-Z]{2,}\b")
_ACCOUNT_CLAIM = re.compile(
    r"\byour\b[^.!?]{0,60}\b(is|was|were|are|has|have|had|will|won't|can't|cannot)\b", re.I
)
COURTESY_WORDS = 6
"""A statement this short ("Happy to help.", "Thanks for waiting!") claims nothing."""


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = ""


def _cents(text: str) -> int:
    return round(float(text.replace(",", ".")) * 100)


def _amounts(text: str) -> set[int]:
    return {_cents(a or b) for a, b in _AMOUNT.findall(text)}


def _numbers_in_tool_output(outputs: list[str]) -> set[int]:
    found: set[int] = set()
    for output in outputs:
        for cents in re.findall(
            r'"(?:amount_cents|total_cents|refundable_cents)":\s*(\d+)', output
        ):
            found.add(int(cents))
        found |= _amounts(output)
    return found


def check_reply(
    text: str,
    *,
    tool_outputs: list[str],
    refunded: bool,
    customer_email: str | None,
    max_chars: int,
) -> Verdict:
    stripped = text.strip()
    if not stripped:
        return Verdict(False, "empty reply")
    if len(stripped) > max_chars:
        return Verdict(False, f"reply longer than {max_chars} characters")
    if _MARKUP.search(stripped):
        return Verdict(False, "markup or JSON in reply")
    lowered = stripped.lower()
    if any(marker in lowered for marker in _LEAK):
        return Verdict(False, "instructions leaked")
    if _INTERNAL_ID.search(stripped):
        return Verdict(False, "internal id in reply")
    for email in _EMAIL.findall(stripped):
        if not customer_email or email.lower() != customer_email.lower():
            return Verdict(False, "someone else's e-mail address in reply")
    unsupported = _amounts(stripped) - _numbers_in_tool_output(tool_outputs)
    if unsupported:
        return Verdict(False, "amount no tool returned")
    if _PROMISE.search(stripped) and not refunded:
        return Verdict(False, "refund promised without an approved refund")
    return Verdict(True)


def _statements(text: str) -> Iterator[str]:
    """Sentences that state something: not questions, not short courtesies."""
    for sentence in _SENTENCE.findall(text):
        sentence = sentence.strip()
        if sentence and not sentence.endswith("?") and len(sentence.split()) > COURTESY_WORDS:
            yield sentence


def _values(outputs: list[str]) -> set[str]:
    """What the tools returned, as a reply would quote it: texts and numbers."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, bool) or value is None:
            return
        elif isinstance(value, int | float) and abs(value) >= 10:
            found.add(str(value))
        elif isinstance(value, str) and 2 < len(value.strip()) <= 80:
            found.add(value.strip().lower())

    for output in outputs:
        try:
            walk(json.loads(output))
        except ValueError:
            continue
    return found


def _cited(value: str, lowered: str) -> bool:
    """Quoted as returned, or a one-word value by its stem ("refunded" as "refund")."""
    if value in lowered:
        return True
    return " " not in value and len(value) >= 6 and value[:6] in lowered


def check_grounded(text: str, *, tool_outputs: list[str], said: list[str]) -> Verdict:
    """The agent's answer rests on this turn's tool results: every figure in it was
    returned by a tool or said in the conversation, and an answer that states something
    cites at least one result. With no result at all it may only ask or be polite."""
    known = " ".join([*tool_outputs, *said])
    if any(figure not in known for figure in _DIGITS.findall(text)):
        return Verdict(False, "a figure no tool returned")
    statements = list(_statements(text))
    if not statements:
        return Verdict(True)
    if not tool_outputs:
        return Verdict(False, "an answer that rests on no tool result")
    lowered = text.lower()
    if not any(_cited(value, lowered) for value in _values(tool_outputs)):
        return Verdict(False, "an answer that cites no tool result")
    return Verdict(True)


def check_small_talk(text: str, *, names: list[str]) -> Verdict:
    """Small talk answers without tools, so it may state nothing: no figures, no names of
    people, places or things (the company's and the customer's aside), no claims about
    the customer's account."""
    if _DIGITS.search(text):
        return Verdict(False, "a figure in small talk")
    allowed = {"i", "ok"} | {word.lower() for name in names for word in _WORD.findall(name)}
    for sentence in _SENTENCE.findall(text):
        words = _WORD.findall(sentence)
        named = [w for w in words[1:] if w[:1].isupper() and w.lower() not in allowed]
        if named or any(a.lower() not in allowed for a in _ACRONYM.findall(sentence)):
            return Verdict(False, "a name or fact in small talk")
    for statement in _statements(text):
        if _ACCOUNT_CLAIM.search(statement):
            return Verdict(False, "a claim about the account in small talk")
    return Verdict(True)


LANGUAGE_CHECK_WORDS = 4
"""Fewer words say too little about a language ("OK, Maria!")."""
OTHER_LANGUAGE_CONFIDENCE = 0.7
"""A reply is taken as written in another language only when lingua is this sure and
gives the conversation's language under `STILL_POSSIBLE`."""
STILL_POSSIBLE = 0.2
ALSO_DETECTED = ("en", "es", "de", "fr", "it", "pt", "nl")
"""Detected besides the policy's languages: a model slipping into one of these must not
pass as the nearest language the policy speaks."""


def check_language(
    text: str, *, language: str, languages: list[str], customer_text: str = ""
) -> Verdict:
    """The reply is in `language` (the conversation's), or in the language of the
    customer's own message; a reply too short to tell passes."""
    other = other_language(
        text, language=language, languages=languages, customer_text=customer_text
    )
    return Verdict(True) if other is None else Verdict(False, f"reply in {other}, not {language}")


def other_language(
    text: str, *, language: str, languages: list[str], customer_text: str = ""
) -> str | None:
    """The language `text` is clearly written in when that is neither `language` nor the
    customer's message's, else None."""
    candidates = sorted({language, *languages, *ALSO_DETECTED})
    found = detect(text, candidates)
    if found.words < LANGUAGE_CHECK_WORDS or found.language in (None, language):
        return None
    if (
        found.confidence < OTHER_LANGUAGE_CONFIDENCE
        or found.scores.get(language, 0.0) >= STILL_POSSIBLE
    ):
        return None
    if customer_text and detect(customer_text, candidates).language == found.language:
        return None
    return found.language
