"""Slots: the details a workflow needs, read from what the customer wrote.

Patterns, not a model, for the same reason as entities: an answer to "which order?" must be
read exactly and explainably. Parsing is pure; asking writes the question into the top
frame of the stack (graph/stack.py) so the next message is read as its answer.
"""

from __future__ import annotations

import re
from typing import Any

from langgraph.runtime import Runtime

from graph.context import TurnContext
from graph.i18n import N_, _, pick
from graph.policy import SlotPolicy
from graph.replies import NO_THANKS, TALK_TO_PERSON, reply
from graph.stack import replace_top, top
from graph.state import ConversationState, Frame

_NUMBER = re.compile(r"#?\s*(\d{1,12})\b")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_ORDINALS = {
    "first": 0,
    "1st": 0,
    "second": 1,
    "2nd": 1,
    "third": 2,
    "3rd": 2,
    "fourth": 3,
    "4th": 3,
}
_OTHER = re.compile(r"\b(the )?other( one)?\b|\bnot (that|this) one\b|\bwrong one\b", re.I)
_LAST = re.compile(r"\b(the )?(latest|newest|most recent|newer)( one)?\b", re.I)
_OLDER = re.compile(r"\b(the )?(older|earlier|previous)( one)?\b", re.I)
_CORRECTION = re.compile(
    r"^\W*(sorry|oops|no|nope|actually|wait|correction|my (bad|mistake))\b"
    r"|\b(i meant|i mean|meant to say|the other one|not that one|wrong one)\b",
    re.I,
)
_CANCEL = re.compile(
    r"(never\s*mind|nevermind|cancel|stop|forget (it|that|about it)|skip (it|that)|scratch that|"
    r"leave it|it doesn'?t matter|doesn'?t matter|abort|quit)"
    r"( (it|that|this|please|the request))?",
)
_CLOSING = re.compile(r"(that'?s all|that is all|bye|goodbye|no thanks|no thank you|i'?m done)")
_POLITE = re.compile(r"^(ok(ay)?|oh|um+|hmm+|no|thanks|thank you|please|actually)[ ,]+")
#: Number words read as digits in a rating, in the shipped languages ("un", "una", "uno"
#: are left out: they are also the article of "le doy un 5"; "due" is English too).
_RATING_WORDS = {
    **{"one": 1, "two": 2, "three": 3, "four": 4, "five": 5},
    **{"dos": 2, "tres": 3, "cuatro": 4, "cinco": 5},
    **{"eins": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "funf": 5},
    **{"deux": 2, "trois": 3, "quatre": 4, "cinq": 5},
    **{"tre": 3, "quattro": 4, "cinque": 5},
}
_RATING_WORD = re.compile(r"\b(" + "|".join(_RATING_WORDS) + r")\b")
_OUT_OF = r"(?:/\s*5|(?:out of|de|von|sur|su) 5)"
_STARS = r"(?:stars?|points?|estrellas?|sterne?n?|[ée]toiles?|stelle|stella)"
_RATING = re.compile(rf"^([1-5])\s*({_OUT_OF}|{_STARS})?$")
_RATING_INSIDE = re.compile(rf"\b([1-5])\s*(?:{_OUT_OF}|{_STARS})(?!\w)")
#: Longest line read as a rating by its one number.
_RATING_SENTENCE_WORDS = 6
NO_COMMENT = N_("No comment")
RATINGS = ("1", "2", "3", "4", "5")
"""The satisfaction question's quick replies."""
_YES = re.compile(
    r"^(yes|yeah|yep|yup|sure|correct|right|exactly|indeed|of course|that'?s (it|right|correct)"
    r"|y|ja|jawohl|s[ií]|oui|sim|certo|esatto)\b"
)
_DECLINE = re.compile(r"^(no|nope|nah|not really|not that|wrong|nein|non|não)\b")
_NO = re.compile(r"^(no|nope|nah|no comment|no thanks|nothing|skip|n/?a|-)$")


def _plain(text: str) -> str:
    lowered = text.casefold().strip()
    lowered = re.sub(r"[!.?,;:…]+$", "", lowered).strip()
    return re.sub(r"\s+", " ", lowered.replace("’", "'"))


def _variants(text: str) -> list[str]:
    """The message, then without each leading "ok,", "thanks,", "no," in turn."""
    plain = _plain(text)
    found = [plain]
    while (shorter := _POLITE.sub("", plain, count=1)) != plain:
        plain = shorter
        found.append(plain)
    return found


def is_cancel(text: str) -> bool:
    """The whole message says stop ("never mind", "cancel that"), not "cancel my order"."""
    return any(_CANCEL.fullmatch(v) or _CLOSING.fullmatch(v) for v in _variants(text))


def is_closing(text: str) -> bool:
    """A goodbye rather than a stop: with nothing in progress it is just a goodbye."""
    return any(_CLOSING.fullmatch(v) for v in _variants(text))


def is_correction(text: str) -> bool:
    return bool(_CORRECTION.search(text))


def parse_rating(text: str) -> int | None:
    """1-5 as a digit or a word ("four", "vier"), alone, as "4/5" or "4 stars", in a
    short sentence ("I'd give it a 3"), or as that many star characters."""
    plain = _plain(text)
    stars = plain.count("★") + plain.count("⭐")
    if stars and not plain.replace("★", "").replace("⭐", "").strip():
        return min(stars, 5)
    plain = _RATING_WORD.sub(lambda word: str(_RATING_WORDS[word.group(1)]), plain)
    found = _RATING.match(plain) or _RATING_INSIDE.search(plain)
    if found:
        return int(found.group(1))
    # "I'd give it a 3", "a solid 4": a short line whose only number is one to five.
    numbers = re.findall(r"\d+", plain)
    short = len(plain.split()) <= _RATING_SENTENCE_WORDS
    if short and len(numbers) == 1 and numbers[0] in RATINGS:
        return int(numbers[0])
    return None


def is_yes(text: str) -> bool:
    return bool(_YES.match(_plain(text)))


def is_decline(text: str) -> bool:
    """ "No", "nope, it's about my login": the answer to a yes/no question is no."""
    return bool(_DECLINE.match(_plain(text)))


def is_no(text: str) -> bool:
    return bool(_NO.match(_plain(text)))


def choice_label(slot: SlotPolicy, value: str) -> str:
    return _("Order #{number}").format(number=value) if slot.kind == "order_number" else value


def parse_answer(slot: SlotPolicy, text: str, frame: Frame, name: str) -> str | None:
    """The value the customer gave for `name`, or None when the message does not answer it.

    Choices offered with the question can be picked by label, number, position ("the
    second one"), "the last one", or "the other one" (the offered value not chosen before).
    """
    choices = list(frame.get("choices") or [])
    current = (frame.get("slots") or {}).get(name)
    lowered = text.casefold()
    if _OTHER.search(lowered) and choices:
        others = [c for c in choices if c != current]
        return others[0] if others else None
    for word, index in _ORDINALS.items():
        if re.search(rf"\b{word}\b", lowered) and index < len(choices):
            return choices[index]
    if _LAST.search(lowered) and choices and slot.kind != "text":
        return choices[0]
    if _OLDER.search(lowered) and choices and slot.kind != "text":
        # Offered newest first: the older one is the next after the one shown, or the
        # only one offered besides it.
        after = choices[choices.index(current) + 1 :] if current in choices else choices
        return after[0] if len(after) == 1 or (after and current in choices) else None
    described = _described_choice(text, frame) if slot.kind != "text" else None
    if described is not None and not _NUMBER.search(text):
        return described
    if slot.kind == "email":
        found = _EMAIL.search(text)
        return found.group(0) if found else None
    if slot.kind == "order_number":
        numbers = _NUMBER.findall(text)
        for number in numbers:
            if number in choices:
                return number
        if numbers:
            small = int(numbers[0])
            if len(numbers[0]) == 1 and 1 <= small <= len(choices):
                return choices[small - 1]  # "2": the second button
            return numbers[0]
        return None
    inside = slot.value_in(text)
    if inside is not None:
        return inside  # "it's SW1A 1AA": the value inside the sentence
    stripped = text.strip()
    return stripped or None


#: Words that say nothing about which choice is meant ("the one with the ...").
_FILLER = re.compile(r"^(the|one|with|and|for|that|this|order|mine|please|meant|about|from)$")
_WORDS = re.compile(r"[^\W\d_]{3,}")
#: How much of one choice's description `describe` keeps.
_DESCRIPTION_CHARS = 200


def describe(choices: list[str], variables: dict[str, Any]) -> dict[str, str]:
    """Each offered value in words: the text fields of the record it came from (a row
    of a list the workflow read, whose field equals the value: order 2001's items)."""
    words: dict[str, str] = {}
    for records in variables.values():
        if not isinstance(records, list):
            continue
        for record in records:
            if not isinstance(record, dict):
                continue
            texts = [str(v) for v in record.values() if isinstance(v, str)]
            for choice in choices:
                if choice not in words and choice in (str(v) for v in record.values()):
                    described = " ".join(t for t in texts if t != choice)
                    words[choice] = described[:_DESCRIPTION_CHARS]
    return words


def _described_choice(text: str, frame: Frame) -> str | None:
    """The one offered value whose description shares a word with `text` ("the coffee
    grinder", "the one with the headphones")."""
    described = frame.get("choice_words") or {}
    said = {w for w in _WORDS.findall(text.casefold()) if not _FILLER.match(w)}
    if not said:
        return None
    matches = [
        choice
        for choice, words in described.items()
        if said & set(_WORDS.findall(words.casefold()))
    ]
    return matches[0] if len(matches) == 1 else None


def valid_format(slot: SlotPolicy, value: str) -> bool:
    return slot.pattern is None or re.fullmatch(slot.pattern, value) is not None


def slot_policy(runtime: Runtime[TurnContext], workflow: str, name: str) -> SlotPolicy:
    return runtime.context.policy.workflows[workflow].slots[name]


def value(state: ConversationState, name: str) -> str | None:
    frame = top(state.get("stack") or [])
    return (frame.get("slots") or {}).get(name) if frame else None


def question(slot: SlotPolicy, choices: list[str], *, hint: str = "") -> Any:
    """The question, with the offered choices as quick replies; a re-ask also offers a
    person, since someone who cannot answer may need one."""
    labels = [choice_label(slot, c) for c in choices]
    if hint:
        labels.append(_(TALK_TO_PERSON))
    return reply(f"{hint} {pick(slot.prompt)}".strip(), *labels)


def give_up(label: str) -> Any:
    return reply(
        _(
            "I'm sorry, I still couldn't get that detail for {topic}. "
            "Would you like me to connect you with a person from our team?"
        ).format(topic=label),
        _(TALK_TO_PERSON),
        _(NO_THANKS),
    )


def ask(
    state: ConversationState,
    runtime: Runtime[TurnContext],
    name: str,
    *,
    choices: list[str] | None = None,
    hint: str = "",
) -> dict[str, Any]:
    """Make the running workflow wait for `name`. With a hint the last answer was wrong:
    it counts as an attempt, and after the policy's maximum the bot offers a person."""
    stack = list(state.get("stack") or [])
    frame: Frame = dict(top(stack) or {})  # type: ignore[assignment]
    workflow = frame.get("name", "")
    policy = runtime.context.policy.workflows[workflow]
    slot = policy.slots[name]
    attempts = frame.get("attempts", 0) + (1 if hint else 0)
    offered = list(choices if choices is not None else frame.get("choices") or [])[:4]
    slots = dict(frame.get("slots") or {})
    slots.pop(name, None)
    frame["slots"], frame["choices"] = slots, offered
    if attempts >= slot.max_attempts:
        frame["asking"], frame["attempts"] = "", 0
        return {"stack": replace_top(stack, frame), "replies": [give_up(pick(policy.label))]}
    frame["asking"], frame["attempts"] = name, attempts
    return {"stack": replace_top(stack, frame), "replies": [question(slot, offered, hint=hint)]}


def remember(state: ConversationState, *, choices: list[str], **values: str) -> list[Frame]:
    """The stack with the top frame's slots set and the alternatives it offered kept, so
    "no, the other one" can pick among them after it finished."""
    stack = list(state.get("stack") or [])
    frame = top(stack)
    if frame is None:
        return stack
    updated: Frame = dict(frame)  # type: ignore[assignment]
    updated["slots"] = {**(frame.get("slots") or {}), **values}
    updated["choices"] = choices[:4]
    updated["asking"] = ""
    return replace_top(stack, updated)
