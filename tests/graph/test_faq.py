"""The faq workflow over real HTTP: grounded answers with their source, or "I don't know"."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import update

from graph.nodes.faq import answer_text, good_enough, quote
from storage.db import create_engine, session_factory, transaction
from storage.kb import PassageHit
from storage.models import KbArticle
from switchboard.knowledge.importer import DEMO_KB, import_paths
from tests.conftest import open_webchat
from tests.support.databases import DatabaseFactory
from tools.kb import check_citations
from tools.kb_embedding import passage_encoder


@pytest.fixture
async def database_url(databases: DatabaseFactory) -> str:
    """The demo company with its help centre imported, as `demo load` leaves it."""
    url = databases.fresh()
    engine = create_engine(url)
    try:
        await import_paths(session_factory(engine), [DEMO_KB], encoder=passage_encoder())
    finally:
        await engine.dispose()
    return url


async def test_answers_cite_their_article_and_unknowns_offer_a_person(
    http: httpx.AsyncClient, database_url: str
) -> None:
    visitor = await open_webchat(http)
    turn = await visitor.say("what is your return policy")
    reply = turn["replies"][0]
    assert "“Return policy and refunds”" in reply["text"]
    assert "within 30 days of delivery" in reply["text"]
    # A working link: absolute (SWITCHBOARD_PUBLIC_URL, as no help_centre.base_url is set),
    # to the page this server serves.
    assert (
        "Source: “Return policy and refunds” – http://127.0.0.1:8000/help/refund-policy"
        in (reply["text"])
    )
    assert "Talk to a person" in reply["quick_replies"]
    article = await http.get("/help/refund-policy")
    assert article.status_code == 200 and "within 30 days of delivery" in article.text
    assert (await http.get("/help/no-such-page")).status_code == 404
    assert "/help/refund-policy" in (await http.get("/help")).text

    turn = await visitor.say("do you ship internationally")
    assert "“International shipping”" in turn["replies"][0]["text"]

    # One server for both halves (a server start costs seconds): now nothing is live.
    engine = create_engine(database_url)
    try:
        async with transaction(session_factory(engine)) as session:
            await session.exec(update(KbArticle).values(retired=True))  # type: ignore[call-overload]
    finally:
        await engine.dispose()
    turn = await (await open_webchat(http)).say("what is your return policy")
    reply = turn["replies"][0]
    assert reply["text"].startswith("I'm not sure our help centre answers that")
    assert reply["quick_replies"] == ["Talk to a person"]


def hit(**overrides: object) -> PassageHit:
    values: dict[str, object] = {
        "passage_id": 7,
        "article_id": 1,
        "slug": "refunds",
        "title": "Refunds",
        "heading": "Refunds > Card payments",
        "text": "Card refunds take 5 to 10 business days.",
        "url": None,
        "source": "billing/refunds.md",
        "score": 0.1,
        "lexical_rank": 1,
    }
    values.update(overrides)
    return PassageHit(**values)  # type: ignore[arg-type]


def test_good_enough_needs_similarity_or_most_words() -> None:
    assert good_enough(hit(similarity=0.6, coverage=0.0))
    assert good_enough(hit(similarity=0.35, coverage=0.5))
    assert not good_enough(hit(similarity=0.35, coverage=0.2))
    assert not good_enough(hit(similarity=0.2, coverage=1.0))
    assert good_enough(hit(coverage=0.5))  # lexical search alone
    assert not good_enough(hit(coverage=0.3))
    assert not good_enough(hit(coverage=1.0, lexical_rank=None))


def test_answer_text_names_section_and_source() -> None:
    text = answer_text(hit())
    assert text.startswith("From our help centre, “Refunds” (Card payments):")
    assert text.endswith("Source: our help centre, “Refunds”")
    assert answer_text(hit(url="https://acme.test/r")).endswith(
        "Source: “Refunds” – https://acme.test/r"
    )
    assert answer_text(hit(url="/help/refunds"), "https://help.acme.test/").endswith(
        "Source: “Refunds” – https://help.acme.test/help/refunds"
    )
    long = "First sentence here. " * 60
    cut = quote(long, 100)
    assert cut.endswith("here. …") and len(cut) <= 102


def test_citations_must_name_retrieved_passages() -> None:
    given = [hit(passage_id=7), hit(passage_id=9)]
    assert check_citations("Refunds take 5 days [kb-7].", given).grounded
    made_up = check_citations("Refunds take 5 days [kb-3].", given)
    assert not made_up.grounded and made_up.unknown == ["kb-3"]
    assert not check_citations("Refunds take 5 days.", given).grounded


def test_quotes_keep_whole_sentences_not_the_files_line_wraps() -> None:
    wrapped = (
        "We ship to all EU countries, the United Kingdom, Switzerland and Norway. We do not\n"
        "ship to the United States yet.\n\nSteps:\n- pack the item\n- print the label"
    )
    assert quote(wrapped) == (
        "We ship to all EU countries, the United Kingdom, Switzerland and Norway. We do not "
        "ship to the United States yet.\n\nSteps:\n- pack the item\n- print the label"
    )
    long = "One whole sentence that goes on. " * 10 + "A last one without an end"
    cut = quote(long, 120)
    assert cut.endswith("goes on. …") and "\n" not in cut
