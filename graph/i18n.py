"""The turn's language, and the texts said in it.

The runner decides a turn's language before the graph runs (graph/language.py) and sets
it with `speaking(code, fallback)`, the way Django's `translation.override` does; every
node, tool and reply helper that words something for the customer asks `language()` or
`pick()` instead of being handed the language through every call. A context variable,
not a global: concurrent turns on one event loop each keep their own.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

#: A text the policy gives once, or once per language code (`{en: ..., es: ...}`).
Text = str | Mapping[str, str]

_SPEAKING: ContextVar[tuple[str, str]] = ContextVar("switchboard_speaking", default=("en", "en"))


@contextmanager
def speaking(language: str, fallback: str = "en") -> Iterator[None]:
    """Word everything inside in `language`; a text missing in it falls back to
    `fallback` (the policy's default language)."""
    token = _SPEAKING.set((language, fallback))
    try:
        yield
    finally:
        _SPEAKING.reset(token)


def language() -> str:
    """The language this turn answers in."""
    return _SPEAKING.get()[0]


def fallback_language() -> str:
    """The policy's default language: what a missing translation falls back to."""
    return _SPEAKING.get()[1]


def pick(text: Text, code: str | None = None) -> str:
    """`text` in `code` (default: the turn's language), else in the fallback language,
    else the first one given."""
    if isinstance(text, str):
        return text
    wanted, fallback = _SPEAKING.get()
    for candidate in (code or wanted, fallback):
        if text.get(candidate):
            return text[candidate]
    return next(iter(text.values()), "")
