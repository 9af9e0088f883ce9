"""Help-centre articles in languages: labelled at import, the customer's language found
first, and an answer from another language says so in the customer's."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.i18n import speaking
from graph.nodes.faq import answer_text, answering
from storage.db import create_engine, session_factory, transaction
from storage.kb import PassageHit
from storage.kb_import import list_articles
from switchboard.knowledge.importer import DEMO_KB, import_paths
from tests.support.databases import DatabaseFactory
from tools.base import Caller
from tools.kb import search as kb_search
from tools.kb_embedding import passage_encoder


async def search(url: str, question: str, language: str) -> list[PassageHit]:
    """The `kb.search` tool, for a customer whose conversation is in `language`."""
    caller = Caller(
        conversation_id=1, message_id=1, channel="web", language=language, default_language="en"
    )
    engine = create_engine(url)
    try:
        async with transaction(session_factory(engine)) as session:
            return await kb_search(session, caller, query=question, limit=3)
    finally:
        await engine.dispose()


@pytest.fixture
async def help_centre(databases: DatabaseFactory) -> str:
    url = databases.fresh()
    engine = create_engine(url)
    try:
        await import_paths(session_factory(engine), [DEMO_KB], encoder=passage_encoder())
    finally:
        await engine.dispose()
    return url


@pytest.mark.parametrize(
    ("question", "slug"),
    [
        ("¿Cómo puedo devolver un artículo?", "devoluciones"),
        ("¿Cuándo recibo el reembolso de mi devolución?", "devoluciones"),
        ("¿Dónde está mi pedido?", "seguimiento-pedido"),
        ("¿Cuál es vuestro horario de atención?", "horario-atencion"),
        ("Me han cobrado dos veces el mismo pedido", "cargos-duplicados"),
        ("¿Cómo cambio mi contraseña?", None),  # no Spanish article, none close enough
    ],
)
async def test_a_spanish_question_finds_the_spanish_article(
    help_centre: str, question: str, slug: str | None
) -> None:
    hits = await search(help_centre, question, "es")
    found = answering(hits, "es")
    assert (found.slug if found else None) == slug
    if found:
        assert found.language == "es"
        with speaking("es", "en"):
            text = answer_text(found)
        assert text.startswith("De nuestro centro de ayuda")
        assert "solo está disponible" not in text


async def test_english_questions_still_find_english_articles(help_centre: str) -> None:
    hits = await search(help_centre, "what is your return policy", "en")
    assert [h.language for h in hits] == ["en", "en", "en"]
    found = answering(hits, "en")
    assert found is not None and found.slug == "refund-policy"


def test_an_answer_from_another_language_says_so_in_the_customers() -> None:
    english = PassageHit(
        passage_id=3,
        article_id=1,
        slug="international-shipping",
        title="International shipping",
        heading="International shipping",
        text="We ship to 30 countries.",
        url=None,
        source="shipping/international.md",
        score=0.1,
        language="en",
    )
    with speaking("es", "en"):
        assert answer_text(english).startswith(
            "Este artículo solo está disponible en inglés:\nDe nuestro centro de ayuda"
        )
    with speaking("de", "en"):
        assert answer_text(english).startswith("Dieser Artikel ist nur auf Englisch verfügbar:")
    with speaking("en", "en"):
        assert answer_text(english).startswith("From our help centre")


async def test_import_labels_articles_from_front_matter_or_detection(
    databases: DatabaseFactory, tmp_path: Path
) -> None:
    (tmp_path / "given.md").write_text("---\ntitle: Hola\nlang: es\n---\n\nok ok ok\n")
    (tmp_path / "detected.md").write_text(
        "# Rückgabe\n\nSie können jeden Artikel innerhalb von 30 Tagen nach der Lieferung "
        "zurückgeben und erhalten den vollen Betrag zurück.\n"
    )
    (tmp_path / "english.md").write_text(
        "# Returns\n\nYou can return any item within 30 days of delivery for a full refund.\n"
    )
    url = databases.fresh()
    engine = create_engine(url)
    try:
        sessions = session_factory(engine)
        report = await import_paths(sessions, [tmp_path])
        assert len(report.imported) == 3
        async with transaction(sessions) as session:
            rows = {r.source: r.language for r in await list_articles(session)}
        assert {k: rows[k] for k in ("given.md", "detected.md", "english.md")} == {
            "given.md": "es",
            "detected.md": "de",
            "english.md": "en",
        }
        # A re-import with the languages known changes nothing.
        again = await import_paths(sessions, [tmp_path])
        assert len(again.unchanged) == 3
    finally:
        await engine.dispose()
