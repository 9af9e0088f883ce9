"""Entity extraction by pattern: order ids, amounts, dates and the billing/urgency flags,
in every language of `entity_words.py` (en, es, de, fr, it).

Patterns, not a model: these are the details workflows act on, so they must be exact and
explainable. Flags are lists of names so traces and scenario tests can check them. Each
flag is one rule over word classes ("a payment word near a failure word"), the same in
every language; the words are per language. Matching runs on accent-folded text of the
same length, so what is reported (an amount, a date) is cut from the customer's own text.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TypedDict

from graph.entity_words import alternatives


class Entities(TypedDict, total=False):
    flags: list[str]
    order_ids: list[str]
    amounts: list[str]
    dates: list[str]


def fold(text: str) -> str:
    """Lower case without accents, one character for one (so spans map back), with
    typographic apostrophes made plain: "Falló" -> "fallo", "l’argent" -> "l'argent"."""
    out = []
    for char in text:
        base = unicodedata.normalize("NFD", char)[0] if not char.isascii() else char
        out.append("'" if base in "’‘`´" else base)
    folded = "".join(out).lower()
    return folded if len(folded) == len(text) else "".join(out)  # "İ".lower() grows


def _words(concept: str) -> str:
    return r"\b" + alternatives(concept) + r"\b"


def _near(first: str, second: str, gap: int, unless: str | None = None) -> str:
    """`first` then `second` within `gap` characters of one sentence (with no `unless`
    word between them)."""
    between = rf"(?:(?!{_words(unless)})[^.!?])" if unless else "[^.!?]"
    return _words(first) + rf"{between}{{0,{gap}}}" + _words(second)


_FLAG_PATTERNS: dict[str, re.Pattern[str]] = {
    "failed_payment": re.compile(
        "|".join((_near("payment", "failure", 30), _near("failure", "payment", 15)))
    ),
    "double_charge": re.compile(
        "|".join(
            (
                # "paid double", "the same payment went through twice", but not "I paid
                # and it failed twice"
                _near("charged", "again", 25, unless="failure"),
                _near("again", "charged", 15),
                _near("charge_item", "again", 25, unless="failure"),
                _words("several") + r"\s+(?:\w+\s+)?" + _words("charge_item"),
                _words("duplicate"),
                _near("anyway", "charged", 20),
                _near("charged", "anyway", 15),
                _words("money_taken"),
            )
        )
    ),
    "urgent": re.compile(_words("urgent")),
    "refund": re.compile(_words("refund")),
    "asks_for_person": re.compile(_near("talk", "person", 30) + "|" + _words("real_person")),
    "prompt_injection": re.compile(_words("injection")),
}

_DIGITS = r"(\d{3,8})\b"
_ORDER_ID = re.compile(
    r"(?:\b" + alternatives("order") + r"\s*(?:" + alternatives("number") + r")?"
    r"|\b"
    + alternatives("number")
    + r"\s+(?:de |del |d'|di |dell')?"
    + alternatives("order")
    + r"|#)\s*(?:[:#]|\b"
    + alternatives("is")
    + r"\b)?\s*"
    + _DIGITS
)
#: "my 1038 order", "el 1038 pedido": the number before the order word.
_ORDER_ID_BEFORE = re.compile(r"\b(\d{3,8})\s+" + alternatives("order") + r"\b")
_NUMBER = r"\d{1,3}(?:[.,' ]\d{3})*(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_AMOUNT = re.compile(
    rf"[€$£]\s?(?:{_NUMBER})|\b(?:{_NUMBER})\s?(?:[€$£]|{alternatives('currency')}\b)"
)
_DATE = re.compile(
    r"\b(?:"
    + alternatives("relative_day")
    + "|"
    + alternatives("weekday")
    + r"|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}(?:/\d{2,4})?|\d{1,2}\.\d{1,2}\.\d{2,4})\b"
)


_BARE_ORDER = re.compile(r"(?<![\w#])#\s?(\d{3,8})\b")
_ORDER_WORD = re.compile(_words("order") + r"\W*(?:\w+\W+){0,3}$")


def with_order_words(text: str) -> str:
    """ "any news on #1038?" → "any news on order #1038?": the intent model learnt
    orders from sentences that name them, and a bare "#1038" says nothing to it."""

    def named(match: re.Match[str]) -> str:
        before = fold(text[: match.start()])
        return match.group(0) if _ORDER_WORD.search(before) else f"order {match.group(0)}"

    return _BARE_ORDER.sub(named, text)


def extract_entities(text: str) -> Entities:
    folded = fold(text)
    flags = [name for name, pattern in _FLAG_PATTERNS.items() if pattern.search(folded)]
    return Entities(
        flags=flags,
        order_ids=list(
            dict.fromkeys([*_ORDER_ID.findall(folded), *_ORDER_ID_BEFORE.findall(folded)])
        ),
        amounts=[text[m.start() : m.end()].strip() for m in _AMOUNT.finditer(folded)],
        dates=[text[m.start() : m.end()].lower() for m in _DATE.finditer(folded)],
    )


def only_number(text: str, entities: Entities) -> str | None:
    """The one number a message holds, when it could be an order's (3 to 8 digits, and
    no amount or date): "I'd like a refund for 3001 please"."""
    if entities.get("amounts") or entities.get("dates"):
        return None
    numbers = re.findall(r"\d+", text)
    return numbers[0] if len(numbers) == 1 and 3 <= len(numbers[0]) <= 8 else None


def entity_names(entities: Entities) -> list[str]:
    """Flat list for traces and scenario checks: flags plus `order_id`, `amount`, `date`."""
    names = list(entities.get("flags", []))
    for key, name in (("order_ids", "order_id"), ("amounts", "amount"), ("dates", "date")):
        if entities.get(key):
            names.append(name)
    return names
