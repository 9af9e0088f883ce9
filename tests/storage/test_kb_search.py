"""Knowledge-base storage on SQLite and PostgreSQL: passages, search, retirement.

Vectors here are made by hand (unit vectors along chosen axes), so these tests check the
storage and fusion logic without loading a model; `tests/switchboard/test_kb_import.py`
runs the real encoder.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import numpy as np
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import create_engine, session_factory, transaction
from storage.kb import fuse, query_terms, search_passages
from storage.kb_import import (
    ArticleIn,
    PassageIn,
    delete_article,
    is_current,
    list_articles,
    retire_missing,
    save_article,
)
from storage.models import KbArticle

MODEL = "test-axes"


def axis(i: int, dims: int = 8) -> np.ndarray:
    vector = np.zeros(dims, dtype=np.float32)
    vector[i] = 1.0
    return vector


def article(source: str, title: str, *passages: tuple[str, str, int], **extra: str) -> ArticleIn:
    return ArticleIn(
        source=source,
        title=title,
        body=" ".join(p[1] for p in passages),
        content_hash=f"hash-{source}-{len(passages)}-{passages[0][1][:10]}",
        passages=[
            PassageIn(heading=f"{title} > {h}", text=t, embedding=axis(a).tobytes())
            for h, t, a in passages
        ],
        embedding_model=MODEL,
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(database_url)
    yield session_factory(engine)
    await engine.dispose()


REFUNDS = article(
    "billing/refunds.md",
    "Refunds",
    ("Card refunds", "Card refunds reach your statement within ten business days.", 1),
    ("Wallets", "Wallet payments come back the next day.", 2),
    url="https://acme.test/refunds",
)
SHIPPING = article(
    "shipping.md",
    "Shipping",
    ("Costs", "Parcels cost 4.90 and travel with the national post.", 3),
)


async def test_hand_made_articles_are_searchable_through_their_trigger_passage(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with transaction(sessions) as session:
        hits = await search_passages(session, "when do I get my money back for a return?")
        session.add(KbArticle(slug="gift-wrap", title="Gift wrapping", body="We wrap gifts."))
    assert hits and hits[0].slug == "refund-policy"
    assert hits[0].url == "/help/refund-policy" and hits[0].source is None
    async with transaction(sessions) as session:
        hits = await search_passages(session, "can you wrap my gift", method="lexical")
    assert hits[0].slug == "gift-wrap" and hits[0].heading == "Gift wrapping"


async def test_save_is_idempotent_and_updates_replace_passages(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with transaction(sessions) as session:
        assert await save_article(session, REFUNDS) == "imported"
    async with transaction(sessions) as session:
        assert await save_article(session, REFUNDS) == "unchanged"
        assert await is_current(session, REFUNDS.source, REFUNDS.content_hash, MODEL)
        assert not await is_current(session, REFUNDS.source, "other", MODEL)
        assert not await is_current(session, REFUNDS.source, REFUNDS.content_hash, "new-model")
    changed = article(
        "billing/refunds.md", "Refunds", ("Card refunds", "Card refunds take five days.", 1)
    )
    async with transaction(sessions) as session:
        assert await save_article(session, changed) == "updated"
        hits = await search_passages(session, "wallet payments", method="lexical")
        assert all(h.source != "billing/refunds.md" for h in hits)
        hits = await search_passages(session, "card refunds five days", method="lexical")
    assert hits[0].text == "Card refunds take five days."
    assert hits[0].slug == "billing-refunds-md" and hits[0].url is None


async def test_semantic_and_hybrid_rankings(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with transaction(sessions) as session:
        await save_article(session, REFUNDS)
        await save_article(session, SHIPPING)
    query = "how much is postage"  # no word in common with the shipping passage
    async with transaction(sessions) as session:
        semantic = await search_passages(
            session, query, method="semantic", query_vector=axis(3), model=MODEL
        )
        hybrid = await search_passages(session, query, query_vector=axis(3), model=MODEL)
        lexical_only = await search_passages(session, query)
        other_model = await search_passages(
            session, query, method="semantic", query_vector=axis(3), model="unknown"
        )
    assert semantic[0].heading == "Shipping > Costs"
    assert semantic[0].similarity == pytest.approx(1.0)
    assert hybrid[0].heading == "Shipping > Costs" and hybrid[0].semantic_rank == 1
    assert all(h.heading != "Shipping > Costs" for h in lexical_only)
    assert other_model == []


async def test_the_vector_index_follows_changes(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with transaction(sessions) as session:
        await save_article(session, SHIPPING)
        first = await search_passages(
            session, "x", method="semantic", query_vector=axis(3), model=MODEL
        )
    moved = article("shipping.md", "Shipping", ("Costs", "Parcels are free now.", 5))
    async with transaction(sessions) as session:
        await save_article(session, moved)
        after = await search_passages(
            session, "x", method="semantic", query_vector=axis(5), model=MODEL
        )
    assert first[0].text.startswith("Parcels cost")
    assert after[0].text == "Parcels are free now." and after[0].similarity == pytest.approx(1.0)


async def test_retired_articles_are_not_found_and_come_back_on_reimport(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with transaction(sessions) as session:
        await save_article(session, REFUNDS)
        await save_article(session, SHIPPING)
    async with transaction(sessions) as session:
        assert await retire_missing(session, {"shipping.md"}) == ["billing/refunds.md"]
    async with transaction(sessions) as session:
        lexical = await search_passages(session, "wallet payments", method="lexical")
        semantic = await search_passages(
            session, "x", method="semantic", query_vector=axis(2), model=MODEL
        )
        listed = {a.source: a for a in await list_articles(session, include_retired=True)}
        live = {a.source for a in await list_articles(session)}
    assert all(h.source != "billing/refunds.md" for h in lexical)
    assert all(h.source != "billing/refunds.md" for h in semantic)
    assert listed["billing/refunds.md"].retired and "billing/refunds.md" not in live
    assert listed["billing/refunds.md"].passages == 2
    async with transaction(sessions) as session:
        assert await save_article(session, REFUNDS) == "updated"
        hits = await search_passages(session, "wallet payments", method="lexical")
    assert hits[0].source == "billing/refunds.md"


async def test_a_pinned_slug_adopts_the_hand_made_article(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    adopted = article(
        "returns.md", "Returns", ("Window", "Return within 45 days.", 4), slug="refund-policy"
    )
    async with transaction(sessions) as session:
        assert await save_article(session, adopted) == "updated"
        count = (
            await session.exec(  # type: ignore[call-overload]
                text("SELECT count(*) FROM kb_articles WHERE slug = 'refund-policy'")
            )
        ).one()[0]
        hits = await search_passages(session, "return within days", method="lexical")
    assert count == 1
    assert hits[0].source == "returns.md" and hits[0].text == "Return within 45 days."


async def test_delete_removes_article_and_passages(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with transaction(sessions) as session:
        await save_article(session, SHIPPING)
        (row,) = [a for a in await list_articles(session) if a.source == "shipping.md"]
        assert await delete_article(session, row.id)
        assert not await delete_article(session, row.id)
        hits = await search_passages(session, "parcels national post", method="lexical")
    assert all(h.source != "shipping.md" for h in hits)


def test_fusion_and_query_terms() -> None:
    fused = fuse([(1, 1.0), (2, 1.0)], [(2, 1.0), (3, 1.0)], k=10)
    assert [item for item, _ in fused] == [2, 1, 3]
    assert fuse([(1, 0.0)], [(2, 1.0)])[0][0] == 2
    assert query_terms("How do I return my order to the UK?") == ["return", "order", "uk"]
    assert query_terms("the of and") == []
