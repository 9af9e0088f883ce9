"""The message catalogues: current with the code, complete for every shipped language,
placeholders kept; a missing translation falls back to the policy's default language,
and `switchboard policy check` lists it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

from graph.i18n import (
    LOCALES,
    TEMPLATE,
    _,
    missing_translations,
    ngettext,
    shipped_languages,
    speaking,
)
from graph.replies import TALK_TO_PERSON, as_source

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ["es", "de", "fr", "it"]


def _ids(path: Path) -> dict[str, str | tuple[str, ...]]:
    with path.open("rb") as po:
        return {m.id if isinstance(m.id, str) else m.id[0]: m.string for m in read_po(po) if m.id}


def test_the_template_holds_exactly_the_texts_the_code_marks() -> None:
    marked = {
        message if isinstance(message, str) else message[0]
        for package in ("graph", "tools", "switchboard", "bots")
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / package, [("**.py", "python")], DEFAULT_KEYWORDS
        )
    }
    assert marked == set(_ids(TEMPLATE)), "run `make messages` and translate what is new"


@pytest.mark.parametrize("code", SHIPPED)
def test_every_shipped_language_translates_every_text_keeping_its_placeholders(
    code: str,
) -> None:
    assert code in shipped_languages()
    assert missing_translations([code]) == {}
    with (LOCALES / code / "LC_MESSAGES" / "switchboard.po").open("rb") as po:
        for message in read_po(po):
            if not message.id:
                continue
            source = message.id if isinstance(message.id, str) else message.id[1]
            said = [message.string] if isinstance(message.string, str) else message.string
            for text in said:
                fields = sorted(re.findall(r"\{(\w+)\}", text))
                assert fields == sorted(re.findall(r"\{(\w+)\}", source)), (code, source)


def test_a_language_without_a_catalogue_falls_back_to_the_policys_default() -> None:
    with speaking("pt", "de"):
        assert _(TALK_TO_PERSON) == "Mit einer Person sprechen"
    with speaking("pt", "pt"):
        assert _(TALK_TO_PERSON) == "Talk to a person"  # then the English source
    with speaking("es", "en"):
        assert _("a text no catalogue has") == "a text no catalogue has"
        many = ngettext(
            "That message is longer than {limit} character. Could you shorten it?",
            "That message is longer than {limit} characters. Could you shorten it?",
            4000,
        )
        assert many == "Ese mensaje supera los {limit} caracteres. ¿Podrías acortarlo?"


def test_a_button_is_read_back_in_the_turns_and_the_fallback_language() -> None:
    with speaking("es", "de"):
        assert as_source("hablar con  una persona", (TALK_TO_PERSON,)) == TALK_TO_PERSON
        assert as_source("Mit einer Person sprechen", (TALK_TO_PERSON,)) == TALK_TO_PERSON
        assert as_source("Talk to a person", (TALK_TO_PERSON,)) == TALK_TO_PERSON
        assert as_source("Parler à une personne", (TALK_TO_PERSON,)) is None


def test_a_catalogue_missing_a_text_lists_it(tmp_path: Path) -> None:
    shutil.copy(TEMPLATE, tmp_path / TEMPLATE.name)
    (tmp_path / "es" / "LC_MESSAGES").mkdir(parents=True)
    with (LOCALES / "es" / "LC_MESSAGES" / "switchboard.po").open("rb") as po:
        catalog = read_po(po, locale="es")
    catalog.delete(TALK_TO_PERSON)
    catalog["No thanks"].flags.add("fuzzy")  # a guess nobody checked is not a translation
    with (tmp_path / "es" / "LC_MESSAGES" / "switchboard.po").open("wb") as po:
        write_po(po, catalog)
    assert missing_translations(["en", "es"], tmp_path) == {"es": ["No thanks", TALK_TO_PERSON]}


def test_policy_check_lists_a_language_the_code_is_not_translated_to(tmp_path: Path) -> None:
    text = (ROOT / "switchboard" / "default_policy.yaml").read_text(encoding="utf-8")
    languages = re.search(r"^languages: \[(.*)\]$", text, re.M)
    assert languages is not None
    path = tmp_path / "policy.yaml"
    path.write_text(text.replace(languages.group(0), f"languages: [{languages[1]}, pt]"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
    result = subprocess.run(
        [sys.executable, "-m", "switchboard.cli.main", "policy", "check", str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    code_lines = [line for line in result.stdout.splitlines() if "catalogue" in line]
    assert len(code_lines) == 1, result.stdout
    assert "no catalogue for pt" in code_lines[0] and "said in en" in code_lines[0]
