"""What `switchboard policy check` says about the code's own texts: each of the policy's
`languages` whose catalogue (graph/locales) misses some of them, which are then said in
the policy's default language."""

from __future__ import annotations

from graph.i18n import LOCALES, SOURCE_LANGUAGE, missing_translations, shipped_languages
from graph.policy import Policy

SHOWN = 10
"""Missing texts listed one by one per language; beyond that, counted."""


def code_untranslated(policy: Policy) -> list[str]:
    """A warning per code text a language misses (or one for a language with no catalogue)."""
    languages = [code for code in policy.languages or [policy.language] if code != SOURCE_LANGUAGE]
    lines: list[str] = []
    for code, texts in missing_translations(languages).items():
        said = f"said in {policy.language}" if code != policy.language else "said in English"
        if code not in shipped_languages():
            lines.append(
                f"{LOCALES}: warning: no catalogue for {code}: the code's {len(texts)} texts "
                f"are {said} (pybabel init -i {LOCALES}/switchboard.pot -d {LOCALES} "
                f"-D switchboard -l {code})"
            )
            continue
        where = LOCALES / code / "LC_MESSAGES" / "switchboard.po"
        lines += [
            f"{where}: warning: not translated to {code}: {text!r} ({said})"
            for text in texts[:SHOWN]
        ]
        if len(texts) > SHOWN:
            lines.append(
                f"{where}: warning: and {len(texts) - SHOWN} more not translated to {code}"
            )
    return lines
