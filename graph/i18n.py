"""The turn's language, and the texts said in it.

The runner decides a turn's language before the graph runs (graph/language.py) and sets
it with `speaking(code, fallback)`, the way Django's `translation.override` does; every
node, tool and reply helper that words something for the customer asks `language()` or
`pick()` instead of being handed the language through every call. A context variable,
not a global: concurrent turns on one event loop each keep their own.

The code's own texts (replies, buttons, hints) are English gettext messages, `_()`,
translated from the .po catalogues under graph/locales; texts the policy writes per
language are `{lang: text}` mappings, `pick()`. Either falls back to the policy's
default language, then to what is there.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

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


# --- the code's own texts: gettext catalogues ------------------------------------------
# English is the source: every text in the code is written in English and marked with
# `_()` (or `N_()` where it is defined before any turn speaks); translators keep
# graph/locales/<lang>/LC_MESSAGES/switchboard.po (`make messages` refreshes them from
# the code). The .po files are read once per process: a fresh clone needs no compile step.

SOURCE_LANGUAGE = "en"
LOCALES = Path(__file__).resolve().parent / "locales"
DOMAIN = "switchboard"
TEMPLATE = LOCALES / f"{DOMAIN}.pot"


def N_(message: str) -> str:
    """Mark `message` for the catalogue without translating it (module-level texts)."""
    return message


def _catalogue_path(code: str, locales: Path = LOCALES) -> Path:
    return locales / code / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def _compiled(code: str) -> bytes | None:
    """`code`'s catalogue as .mo bytes (fuzzy entries left out), None when none ships."""
    path = _catalogue_path(code)
    if code == SOURCE_LANGUAGE or not path.is_file():
        return None
    with path.open("rb") as po:
        catalog = read_po(po, locale=code, domain=DOMAIN)
    out = BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


@cache
def _translations(wanted: str, fallback: str) -> gettext.NullTranslations:
    """`wanted`'s catalogue falling back to `fallback`'s, then to the English source."""
    chain: gettext.NullTranslations = gettext.NullTranslations()
    for code in reversed(dict.fromkeys((wanted, fallback))):
        compiled = _compiled(code)
        if compiled is not None:
            translations = gettext.GNUTranslations(BytesIO(compiled))
            translations.add_fallback(chain)
            chain = translations
    return chain


def _(message: str) -> str:
    """`message` in the turn's language (else the fallback language, else English)."""
    return _translations(*_SPEAKING.get()).gettext(message)


def said_in(message: str, language: str | None, fallback: str) -> str:
    """`message` in `language` (else `fallback`) where no turn speaks: the engine's own
    notices, before or after a turn."""
    return _translations(language or fallback, fallback).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of `singular`/`plural` for `n` in the turn's language."""
    return _translations(*_SPEAKING.get()).ngettext(singular, plural, n)


def translations_of(message: str) -> set[str]:
    """`message` in the turn's language, the fallback language and English: what a
    customer pressing the button labelled with it sends back."""
    return {message} | {_translations(code, code).gettext(message) for code in _SPEAKING.get()}


@cache
def shipped_languages() -> list[str]:
    """The languages with a catalogue, English (the source) first."""
    found = sorted(p.parent.parent.name for p in LOCALES.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    return [SOURCE_LANGUAGE, *(code for code in found if code != SOURCE_LANGUAGE)]


def missing_translations(languages: Iterable[str], locales: Path = LOCALES) -> dict[str, list[str]]:
    """Per language, the code's texts (the template's) its catalogue does not translate:
    they fall back to the policy's default language. A language without a catalogue
    misses all of them."""
    with (locales / TEMPLATE.name).open("rb") as pot:
        wanted = [m.id for m in read_po(pot) if m.id]
    missing: dict[str, list[str]] = {}
    for code in dict.fromkeys(languages):
        if code == SOURCE_LANGUAGE:
            continue
        path = _catalogue_path(code, locales)
        done: set[str] = set()
        if path.is_file():
            with path.open("rb") as po:
                done = {_key(m.id) for m in read_po(po) if _translated(m.string) and not m.fuzzy}
        gaps = [_key(m) for m in wanted if _key(m) not in done]
        if gaps:
            missing[code] = gaps
    return missing


def _key(msgid: str | tuple[str, ...] | list[str]) -> str:
    return msgid if isinstance(msgid, str) else msgid[0]


def _translated(msgstr: str | tuple[str, ...] | list[str] | None) -> bool:
    return bool(msgstr) if isinstance(msgstr, str) or msgstr is None else all(msgstr)
