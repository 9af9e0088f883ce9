"""Which language a customer writes in, and when a conversation changes language.

Detection is lingua's (offline, n-gram models inside the package), asked only about the
policy's `languages`: fewer candidates, fewer mistakes. A conversation keeps its language:
short lines say too little ("ok", "1042", "Samsung Galaxy Buds" all look like something),
so a conversation switches only on a message that is clearly in another language, and a
first message too short to tell takes the channel's hint (a Telegram user's app language,
the browser's) or the policy's default.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from babel import Locale, UnknownLocaleError
from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

#: Words of letters: digits, order numbers and punctuation say nothing about a language.
_WORD = re.compile(r"[^\W\d_]{2,}")

#: Confidence a first message needs, by its number of words (1, 2, 3+): one word is
#: often ambiguous ("hello" looks Italian to the n-grams, "no" is in four languages).
_FIRST_MESSAGE_CONFIDENCE = (0.8, 0.7, 0.5)
#: A first message keeps the default language while that stays this likely.
_DEFAULT_STILL_LIKELY = 0.25
#: Switching an established conversation: the new language this sure, with at least
#: this many words, and the conversation's language at most this likely.
_SWITCH_CONFIDENCE = ((2, 0.95), (3, 0.7), (4, 0.6))
_CURRENT_UNLIKELY = 0.2
#: Languages lingua, asked only about the policy's, takes for one of them (Portuguese for
#: Spanish, Dutch for German or English, Catalan for Spanish or French). They are asked
#: about too before a conversation takes a language, so a customer writing one the
#: policy does not speak is answered in the default, not in a neighbour they never wrote.
_NEIGHBOURS = ("pt", "nl", "ca")
#: A neighbour this likely vetoes the choice (short Spanish lines look Portuguese to
#: lingua up to ~0.7: below this, a short line keeps the spoken language).
_NEIGHBOUR_CONFIDENCE = 0.75


@dataclass(frozen=True)
class Detection:
    language: str | None
    """The most likely of the candidates, or None when the text has no words."""
    confidence: float
    words: int
    scores: dict[str, float]
    """Every candidate's confidence (they sum to 1)."""


def code_of(language: Language) -> str:
    return language.iso_code_639_1.name.lower()


def is_known(code: str) -> bool:
    """Whether `code` is an ISO 639-1 code lingua can detect."""
    try:
        Language.from_iso_code_639_1(IsoCode639_1.from_str(code))
    except ValueError:
        return False
    return True


def language_name(code: str, *, in_language: str = "en") -> str:
    """`es` → "Spanish" (or "español" with `in_language="es"`), for staff views and for
    telling a model which language to answer in; an unknown code is shown as given."""
    try:
        name = Locale.parse(code).get_display_name(in_language)
    except (ValueError, UnknownLocaleError):
        return code
    return name or code


@cache
def _detector(languages: tuple[str, ...]) -> LanguageDetector:
    """One detector per language set; each language's models load on first use."""
    members = [Language.from_iso_code_639_1(IsoCode639_1.from_str(c)) for c in languages]
    return LanguageDetectorBuilder.from_languages(*members).build()


def load_detectors(languages: Sequence[str]) -> None:
    """Load now what the first messages would: the detectors for `languages`, alone and
    with their unspoken neighbours, each language's models loaded by one detection."""
    spoken = tuple(sorted(set(languages)))
    if len(spoken) <= 1:
        return
    for candidates in (spoken, tuple(sorted(set(spoken) | set(_NEIGHBOURS)))):
        _detector(candidates).compute_language_confidence_values("Where is my order?")


def detect(text: str, languages: Sequence[str]) -> Detection:
    """The language of `text` among `languages` (ISO 639-1 codes)."""
    words = len(_WORD.findall(text))
    candidates = tuple(sorted(set(languages)))
    if not words or not candidates:
        return Detection(None, 0.0, words, {})
    if len(candidates) == 1:
        return Detection(candidates[0], 1.0, words, {candidates[0]: 1.0})
    values = _detector(candidates).compute_language_confidence_values(text)
    scores = {code_of(v.language): float(v.value) for v in values}
    best = max(scores, key=lambda c: scores[c])
    return Detection(best, scores[best], words, scores)


def conversation_language(
    text: str,
    *,
    previous: str | None,
    languages: Sequence[str],
    default: str,
    hint: str | None = None,
) -> str:
    """The conversation's language after `text`: `previous` unless the customer clearly
    switched; for a first message (no `previous`), what it is clearly written in, else
    the channel's `hint` when it is one of `languages`, else `default`."""
    if previous not in languages:
        previous = None
    if len(set(languages)) <= 1:
        return previous or default
    found = detect(text, languages)
    if previous is None:
        first = _first_language(found, default)
        if first not in (None, default) and _in_unspoken_neighbour(text, languages):
            first = None
        return first or _hinted(hint, languages) or default
    if found.language is None or found.language == previous:
        return previous
    needed = next(
        (conf for words, conf in reversed(_SWITCH_CONFIDENCE) if found.words >= words), None
    )
    clearly_other = (
        needed is not None
        and found.confidence >= needed
        and found.scores.get(previous, 0.0) <= _CURRENT_UNLIKELY
    )
    if not clearly_other or _in_unspoken_neighbour(text, languages):
        return previous
    return found.language


def _in_unspoken_neighbour(text: str, languages: Sequence[str]) -> bool:
    """Whether `text` is rather in a neighbour of the policy's languages it does not
    speak (asked only when the answer would change the conversation's language)."""
    wider = tuple(sorted(set(languages) | set(_NEIGHBOURS)))
    if len(wider) == len(set(languages)):
        return False
    best = _detector(wider).compute_language_confidence_values(text)[0]
    return code_of(best.language) not in languages and best.value >= _NEIGHBOUR_CONFIDENCE


def _first_language(found: Detection, default: str) -> str | None:
    """What a first message is clearly written in, or None when it does not say."""
    if found.language is None:
        return None
    if found.confidence < _FIRST_MESSAGE_CONFIDENCE[min(found.words, 3) - 1]:
        return None
    if found.language != default and found.scores.get(default, 0.0) >= _DEFAULT_STILL_LIKELY:
        return None
    return found.language


def _hinted(hint: str | None, languages: Sequence[str]) -> str | None:
    """`es-ES`, `es_419` or `es` from a channel → `es`, when the policy speaks it."""
    if not hint:
        return None
    code = re.split(r"[-_]", hint.strip().lower(), maxsplit=1)[0]
    return code if code in languages else None
