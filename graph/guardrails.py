"""Checks on the agent's reply before a customer sees it.

Only what a tool returned may be stated: amounts are compared with tool output, refund
promises need an executed refund, and internal ids, other people's e-mail addresses and
the instructions themselves must not leak. A failed check means a safe reply and a person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
