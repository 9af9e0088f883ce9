"""A conversation's language: detected among the policy's languages, kept on short or
ambiguous lines, changed only when the customer clearly writes in another."""

from __future__ import annotations

import pytest

from graph.language import conversation_language, detect, is_known, language_name

SPOKEN = ["en", "es", "de", "fr", "it"]


def first(text: str, hint: str | None = None) -> str:
    return conversation_language(text, previous=None, languages=SPOKEN, default="en", hint=hint)


def after(previous: str, text: str) -> str:
    return conversation_language(text, previous=previous, languages=SPOKEN, default="en")


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Mi pago falló dos veces, pero aun así me cobraron.", "es"),
        ("Meine Zahlung ist zweimal fehlgeschlagen, aber ich wurde belastet", "de"),
        ("Mon paiement a échoué deux fois mais j'ai quand même été débité", "fr"),
        ("Il mio pagamento non è andato a buon fine ma mi hanno addebitato", "it"),
        ("My payment failed twice but I was still charged", "en"),
        ("dónde está mi pedido", "es"),
    ],
)
def test_a_sentence_is_detected_among_the_policys_languages(text: str, language: str) -> None:
    assert detect(text, SPOKEN).language == language
    assert first(text) == language


@pytest.mark.parametrize("text", ["ok", "1042", "#1042 ?", "hello", "no", "order 1042", "👍"])
def test_a_first_message_too_short_to_tell_keeps_the_default(text: str) -> None:
    assert first(text) == "en"


def test_a_first_message_too_short_to_tell_takes_the_channels_hint() -> None:
    assert first("hola", hint="es-ES") == "es"
    assert first("1042", hint="de_AT") == "de"
    assert first("hola", hint="pt-BR") == "en"  # not one of the policy's languages


def test_a_clear_first_message_wins_over_the_hint() -> None:
    assert first("Where is my order? It has not arrived yet", hint="es") == "en"


@pytest.mark.parametrize(
    ("previous", "text"),
    [
        ("es", "ok"),
        ("es", "1042"),
        ("es", "thanks"),
        ("en", "danke"),
        ("en", "Samsung Galaxy Buds"),
        ("en", "Deutsche Bank"),
        ("de", "Le Creuset pot"),
        ("fr", "order 1042 please"),
        ("it", "ok grazie"),
        ("en", "the package from Galeries Lafayette"),
    ],
)
def test_short_lines_names_and_numbers_keep_the_conversations_language(
    previous: str, text: str
) -> None:
    assert after(previous, text) == previous


@pytest.mark.parametrize(
    ("previous", "text", "language"),
    [
        ("es", "Can you speak English please?", "en"),
        ("en", "¿Hablas español?", "es"),
        ("en", "Wo ist meine Bestellung? Sie ist noch nicht angekommen", "de"),
        ("de", "Je voudrais un remboursement pour ma commande", "fr"),
    ],
)
def test_a_clear_switch_changes_the_conversations_language(
    previous: str, text: str, language: str
) -> None:
    assert after(previous, text) == language


@pytest.mark.parametrize(
    "text",
    [
        "Olá, gostaria de saber onde está a minha encomenda",
        "Obrigado pela ajuda, até logo",
        "Hallo, waar is mijn bestelling? Ik wacht al een week",
    ],
)
def test_a_language_the_policy_does_not_speak_is_not_taken_for_its_neighbour(
    text: str,
) -> None:
    assert first(text) == "en"  # the default, not Spanish or German
    assert first(text, hint="fr-FR") == "fr"  # or the customer's own app language
    assert after("it", text) == "it"  # and a conversation keeps its language


def test_a_neighbour_the_policy_speaks_is_detected() -> None:
    text = "Olá, gostaria de saber onde está a minha encomenda"
    spoken = [*SPOKEN, "pt"]
    assert conversation_language(text, previous=None, languages=spoken, default="en") == "pt"


def test_one_language_policy_never_detects() -> None:
    text = "Mi pago falló dos veces"
    assert conversation_language(text, previous=None, languages=["de"], default="de") == "de"


def test_a_previous_language_the_policy_no_longer_speaks_is_decided_afresh() -> None:
    assert after("pt", "Where is my order? It never came") == "en"


def test_language_codes_are_iso_639_1() -> None:
    assert is_known("es") and is_known("de")
    assert not is_known("xx") and not is_known("spanish")


def test_languages_are_named_for_people() -> None:
    assert language_name("es") == "Spanish"
    assert language_name("de", in_language="de") == "Deutsch"
    assert language_name("xx") == "xx"
