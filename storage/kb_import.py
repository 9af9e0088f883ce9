"""Writing the knowledge base: one imported article with its passages, retirement, listing.

An article is keyed by its `source` (the path relative to the folder imported). The
caller runs each `save_article` in its own transaction, so an interrupted import leaves
every article either as it was or wholly replaced, never half written. Passages are
replaced wholesale when the content hash changes: their ids then change too, which is
what tells the semantic index in `storage.kb` to reload.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import KbArticle, KbPassage, utcnow

Outcome = Literal["imported", "updated", "unchanged"]
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class PassageIn:
    heading: str
    text: str
    embedding: bytes | None = None


@dataclass(frozen=True)
class ArticleIn:
    """An article as read from a file, ready to store."""

    source: str
    title: str
    body: str
    content_hash: str
    passages: Sequence[PassageIn]
    url: str | None = None
    slug: str | None = None  # front matter may pin it (to adopt a hand-made article)
    language: str | None = None  # ISO 639-1, given or detected; None: the default's
    embedding_model: str | None = None


@dataclass(frozen=True)
class ArticleRow:
    id: int
    slug: str
    title: str
    source: str | None
    url: str | None
    retired: bool
    passages: int
    imported_at: datetime | None
    language: str | None = None


def slugify(value: str) -> str:
    return _SLUG.sub("-", value.lower()).strip("-")[:100] or "article"


async def _free_slug(session: AsyncSession, wanted: str, source: str) -> str:
    """`wanted` unless another article has it; then a suffix from the source keeps it unique."""
    owner = (await session.exec(select(KbArticle).where(KbArticle.slug == wanted))).first()
    if owner is None or owner.source in (None, source):
        return wanted
    return f"{wanted[:100]}-{hashlib.sha256(source.encode()).hexdigest()[:6]}"


async def _needs_vectors(session: AsyncSession, article_id: int, model: str | None) -> bool:
    if model is None:
        return False
    missing = await session.exec(
        select(func.count())
        .select_from(KbPassage)
        .where(KbPassage.article_id == article_id)
        .where((col(KbPassage.embedding_model).is_(None)) | (KbPassage.embedding_model != model))
    )
    return bool(missing.one())


async def is_current(
    session: AsyncSession,
    source: str,
    content_hash: str,
    model: str | None,
    language: str | None = None,
) -> bool:
    """Whether the stored article already has this content (and vectors from `model`),
    so the caller can skip reading it into the encoder."""
    article = (await session.exec(select(KbArticle).where(KbArticle.source == source))).first()
    return (
        article is not None
        and article.content_hash == content_hash
        and not article.retired
        and article.language == language  # imported before articles had one: label it
        and not await _needs_vectors(session, article.id or 0, model)
    )


async def save_article(session: AsyncSession, article: ArticleIn) -> Outcome:
    """Insert or update one article and its passages; unchanged content is left alone."""
    existing = (
        await session.exec(select(KbArticle).where(KbArticle.source == article.source))
    ).first()
    if existing is None and article.slug:
        # A hand-made article with the pinned slug is adopted, not duplicated.
        existing = (
            await session.exec(
                select(KbArticle)
                .where(KbArticle.slug == article.slug)
                .where(col(KbArticle.source).is_(None))
            )
        ).first()
    if (
        existing is not None
        and existing.source == article.source
        and existing.content_hash == article.content_hash
        and existing.language == article.language
        and not existing.retired
        and not await _needs_vectors(session, existing.id or 0, article.embedding_model)
    ):
        return "unchanged"
    now = utcnow()
    outcome: Outcome = "updated"
    if existing is None:
        outcome = "imported"
        slug = await _free_slug(session, article.slug or slugify(article.source), article.source)
        existing = KbArticle(slug=slug, title="", body="")
    # source first, so the hand-made-article trigger leaves this row's passages alone
    existing.source = article.source
    existing.title = article.title[:255]
    existing.body = article.body
    existing.url = article.url[:500] if article.url else None
    existing.content_hash = article.content_hash
    existing.language = article.language
    existing.retired = False
    existing.imported_at = now
    session.add(existing)
    await session.flush()
    await session.exec(delete(KbPassage).where(col(KbPassage.article_id) == existing.id))  # type: ignore[call-overload]
    for position, passage in enumerate(article.passages):
        session.add(
            KbPassage(
                article_id=existing.id,  # type: ignore[arg-type]
                position=position,
                heading=passage.heading[:1000],
                text=passage.text,
                embedding=passage.embedding,
                embedding_model=article.embedding_model if passage.embedding else None,
            )
        )
    await session.flush()
    return outcome


async def retire_missing(session: AsyncSession, keep_sources: set[str]) -> list[str]:
    """Retire imported articles whose source is not in `keep_sources`; their sources."""
    rows = (
        await session.exec(
            select(KbArticle)
            .where(col(KbArticle.source).is_not(None))
            .where(col(KbArticle.retired).is_(False))
        )
    ).all()
    retired = []
    for article in rows:
        if article.source not in keep_sources:
            article.retired = True
            session.add(article)
            retired.append(article.source or "")
    await session.flush()
    return sorted(retired)


async def list_articles(
    session: AsyncSession, *, include_retired: bool = False
) -> list[ArticleRow]:
    """Every article with its passage count, for staff (admin API, CLI)."""
    counts = (
        select(KbPassage.article_id, func.count().label("n"))
        .group_by(col(KbPassage.article_id))
        .subquery()
    )
    statement = (
        select(KbArticle, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.article_id == KbArticle.id)
        .order_by(col(KbArticle.source), col(KbArticle.slug))
    )
    if not include_retired:
        statement = statement.where(col(KbArticle.retired).is_(False))
    rows = (await session.exec(statement)).all()
    return [
        ArticleRow(
            id=a.id or 0,
            slug=a.slug,
            title=a.title,
            source=a.source,
            url=a.url,
            retired=a.retired,
            passages=int(n),
            imported_at=a.imported_at,
            language=a.language,
        )
        for a, n in rows
    ]


async def delete_article(session: AsyncSession, article_id: int) -> bool:
    """Remove an article and its passages for good (retiring keeps them for the record)."""
    article = await session.get(KbArticle, article_id)
    if article is None:
        return False
    await session.exec(delete(KbPassage).where(col(KbPassage.article_id) == article_id))  # type: ignore[call-overload]
    await session.delete(article)
    await session.flush()
    return True
