"""A reply fitted to what its channel declares it can show (`ChannelCapabilities`).

The outbox fits every reply before it reaches an adapter, so an adapter only ever sends
what its platform accepts: text longer than `max_text_length` becomes several parts, cut
at a paragraph, line or sentence end where one is near (else a space, else anywhere but
inside a character made of several code points), and quick replies the channel cannot
show as buttons become numbered lines of text ("1. Yes") under the text; the customer
answers by typing a label (or its number, where the conversation reads numbers as
choices). Only whitespace at a cut is dropped; every other character arrives, in order.

Lengths are counted in UTF-16 code units: never fewer than the code points a platform
may count instead, so a part within the limit is within it either way.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from bots.base import ChannelCapabilities


@dataclass(frozen=True)
class OutboundPart:
    """One platform message of a reply; quick replies (as buttons) only on the last."""

    text: str
    quick_replies: tuple[str, ...] = ()


def fit_to(
    capabilities: ChannelCapabilities, text: str, quick_replies: Sequence[str] = ()
) -> list[OutboundPart]:
    """The platform messages that show `text` and `quick_replies` on this channel, in
    order; none for a reply with nothing to show (blank text, no choices)."""
    buttons = tuple(quick_replies)
    text = text.strip()
    if buttons and not shows_as_buttons(capabilities, buttons):
        text = f"{text}\n\n{numbered(buttons)}".strip()
        buttons = ()
    if not text:
        if not buttons:
            return []
        text = numbered(buttons)  # a platform message needs text to carry its buttons
    limit = capabilities.max_text_length
    pieces = [text] if limit is None else split_text(text, limit)
    parts = [OutboundPart(piece) for piece in pieces]
    parts[-1] = OutboundPart(pieces[-1], buttons)
    return parts


def shows_as_buttons(capabilities: ChannelCapabilities, labels: tuple[str, ...]) -> bool:
    """All of them as buttons, or none: some buttons and some numbers would confuse."""
    if not capabilities.quick_replies:
        return False
    most, longest = capabilities.max_quick_replies, capabilities.max_quick_reply_length
    if most is not None and len(labels) > most:
        return False
    return longest is None or all(units(label) <= longest for label in labels)


def numbered(labels: Sequence[str]) -> str:
    return "\n".join(f"{number}. {label}" for number, label in enumerate(labels, start=1))


NUMBER_ANSWER = re.compile(r"\s*#?(\d{1,2})[.)]?\s*")
"""A message that is only a number, as a customer answers numbered choices."""


def numbered_answer(
    capabilities: ChannelCapabilities, offered: Sequence[str], text: str
) -> str | None:
    """The choice a bare number ("2", "2.") picks when the last reply's `offered` choices
    were shown on this channel as numbered text, as a button's label would have said it;
    None otherwise (a number typed beside buttons means what it says)."""
    labels = tuple(offered)
    match = NUMBER_ANSWER.fullmatch(text)
    if not labels or match is None or shows_as_buttons(capabilities, labels):
        return None
    number = int(match.group(1))
    return labels[number - 1] if 1 <= number <= len(labels) else None


def units(text: str) -> int:
    """Length in UTF-16 code units: a character beyond the BMP (most emoji) counts two."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


# Where a part may end, best first: a paragraph or line break in the window's second
# half (an earlier one leaves a short part, and more parts), else the last sentence end,
# else the last space.
_PARAGRAPH = re.compile(r"\n[ \t]*\n")
_LINE = re.compile(r"\n")
_SENTENCE = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s)|[。！？]+")
_SPACE = re.compile(r"\s")
#: (where, how far into the window it must be, whether the cut comes after the match)
_BOUNDARIES: list[tuple[re.Pattern[str], float, bool]] = [
    (_PARAGRAPH, 0.5, False),
    (_LINE, 0.5, False),
    (_SENTENCE, 0.0, True),
    (_SPACE, 0.0, False),
]


def split_text(text: str, limit: int) -> list[str]:
    """`text` in parts of at most `limit` UTF-16 units, cut where `fit_to` says."""
    if limit < 1:
        raise ValueError(f"a text limit must be positive, not {limit}")
    parts: list[str] = []
    rest = text
    while units(rest) > limit:
        end = max(_prefix_end(rest, limit), 1)  # a limit of 1 still moves on
        cut = _boundary(rest, end) or _safe_cut(rest, end)
        if part := rest[:cut].rstrip():  # blank only for text of nothing but spaces
            parts.append(part)
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


def _prefix_end(text: str, limit: int) -> int:
    """The end of the longest prefix of `text` within `limit` units."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return index
    return len(text)


def _boundary(text: str, end: int) -> int | None:
    """The best place at or before `end` to cut `text`, if it has one."""
    seen = text[: end + 1]  # one more, so a sentence end at `end` sees its space
    for pattern, share, after in _BOUNDARIES:
        cuts = [m.end() if after else m.start() for m in pattern.finditer(seen)]
        fitting = [cut for cut in cuts if end * share < cut <= end and text[:cut].strip()]
        if fitting:
            return fitting[-1]
    return None


def _safe_cut(text: str, end: int) -> int:
    """A hard cut at or before `end` that does not split an emoji or accented letter
    written as several code points (a combining mark, a joiner, a flag's two halves)."""
    cut = end
    while cut > 1 and _joined(text, cut):
        cut -= 1
    return cut if cut > 1 or not _joined(text, cut) else end


_ZWJ = "\u200d"


def _joined(text: str, at: int) -> bool:
    """Whether text[at - 1] and text[at] belong to one visible character."""
    before, after = text[at - 1], text[at]
    if before == _ZWJ or after == _ZWJ:
        return True
    if unicodedata.category(after) in ("Mn", "Mc", "Me"):  # incl. variation selectors
        return True
    if 0x1F3FB <= ord(after) <= 0x1F3FF or 0xE0020 <= ord(after) <= 0xE007F:
        return True  # skin tone modifiers, the tags of subdivision flags
    if _regional(before) and _regional(after):
        # Flags are pairs of regional indicators: joined when `before` opens a pair.
        run = 0
        while at - 1 - run >= 0 and _regional(text[at - 1 - run]):
            run += 1
        return run % 2 == 1
    return False


def _regional(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF
