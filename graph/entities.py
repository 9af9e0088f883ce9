"""Entity extraction by pattern: order ids, amounts, dates and the billing/urgency flags.

Patterns, not a model: these are the details workflows act on, so they must be exact and
explainable. Flags are lists of names so traces and scenario tests can check them.
"""

from __future__ import annotations

import re
from typing import TypedDict


class Entities(TypedDict, total=False):
    flags: list[str]
    order_ids: list[str]
    amounts: list[str]
    dates: list[str]


_FLAG_PATTERNS: dict[str, re.Pattern[str]] = {
    "failed_payment": re.compile(
        r"\b(payments?|card|transactions?|checkout)\b[^.!?]{0,30}\b(fail\w*|declin\w*|reject\w*|"
        r"didn'?t go through|did not go through|bounced)\b"
        r"|\b(fail\w*|declin\w*|reject\w*)\b[^.!?]{0,15}\b(payments?|card|transactions?)\b",
        re.IGNORECASE,
    ),
    "double_charge": re.compile(
        r"\b(charged|billed|debited|taken|took)\b[^.!?]{0,25}\b(twice|two times|double|again)\b"
        r"|\b(double|duplicate|duplicated|second)[\s-]+(charge|payment|billing|bill)(s|d)?\b"
        r"|\b(still|anyway|nevertheless)\s+(been\s+)?(charged|billed|debited)\b"
        r"|\bmoney (was|got) taken\b",
        re.IGNORECASE,
    ),
    "urgent": re.compile(
        r"\b(today|now|asap|urgent\w*|immediately|right away|emergency|as soon as possible)\b",
        re.IGNORECASE,
    ),
    "refund": re.compile(r"\b(refund\w*|money back|reimburse\w*)\b", re.IGNORECASE),
    "asks_for_person": re.compile(
        r"\b(talk|speak|chat|connect|transfer|put)\b[^.!?]{0,25}\b(human|person|agent|someone|"
        r"representative|staff|operator)\b|\breal (person|human)\b",
        re.IGNORECASE,
    ),
    "prompt_injection": re.compile(
        r"ignore (all |any |the )?(previous|above|prior) (instructions|prompts?)|system prompt|"
        r"you are now|developer mode|jailbreak",
        re.IGNORECASE,
    ),
}

_ORDER_ID = re.compile(r"(?:\border\s*(?:number|no\.?|#)?\s*#?|#)\s*(\d{3,8})\b", re.IGNORECASE)
_AMOUNT = re.compile(
    r"(?:[€$£]\s?\d+(?:[.,]\d{1,2})?)|(?:\b\d+(?:[.,]\d{1,2})?\s?(?:eur|euros?|usd|dollars?|gbp)\b)",
    re.IGNORECASE,
)
_DATE = re.compile(
    r"\b(today|yesterday|tomorrow|last (?:week|month|night)|"
    r"(?:mon|tues|wednes|thurs|fri|satur|sun)day|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}(?:/\d{2,4})?)\b",
    re.IGNORECASE,
)


def extract_entities(text: str) -> Entities:
    flags = [name for name, pattern in _FLAG_PATTERNS.items() if pattern.search(text)]
    return Entities(
        flags=flags,
        order_ids=list(dict.fromkeys(_ORDER_ID.findall(text))),
        amounts=[m.group(0).strip() for m in _AMOUNT.finditer(text)],
        dates=[m.group(0).lower() for m in _DATE.finditer(text)],
    )


def entity_names(entities: Entities) -> list[str]:
    """Flat list for traces and scenario checks: flags plus `order_id`, `amount`, `date`."""
    names = list(entities.get("flags", []))
    for key, name in (("order_ids", "order_id"), ("amounts", "amount"), ("dates", "date")):
        if entities.get(key):
            names.append(name)
    return names
