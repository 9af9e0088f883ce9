"""Admin API for the knowledge base (bearer `SWITCHBOARD_ADMIN_TOKEN`): list the articles
with their source, passages and last import; add or replace one from Markdown; delete one.

Files stay the normal way in (`switchboard kb import`); this is for a quick fix from a
console without a deploy. Articles posted here get the source `admin/<slug>.md`, so a
file import with `--sync` retires them like any article whose file is gone.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from storage.db import transaction
from storage.kb_import import (
    ArticleRow,
    Outcome,
    delete_article,
    list_articles,
    save_article,
    slugify,
)
from switchboard.api.actors import AdminDep
from switchboard.api.deps import SessionsDep
from switchboard.api.schemas import Public, Timestamp
from switchboard.knowledge.importer import article_language, build_article
from switchboard.knowledge.readers import read_markdown
from tools.kb_embedding import passage_encoder

router = APIRouter(
    prefix="/api/admin/kb", tags=["admin", "knowledge base"], dependencies=[AdminDep]
)


class ArticlePost(BaseModel):
    title: str = Field(min_length=1, max_length=255)
    body: str = Field(
        min_length=1, max_length=500_000, description="Markdown; ## headings split it"
    )
    url: str | None = Field(default=None, max_length=500)
    slug: str | None = Field(default=None, max_length=100)


class ArticlePublic(Public):
    id: int
    slug: str
    title: str
    source: str | None = Field(description="The file it came from; admin/<slug>.md if posted.")
    url: str | None
    retired: bool = Field(description="Its file is gone: no longer searched.")
    passages: int = Field(description="How many searchable passages it was split into.")
    language: str | None
    imported_at: Timestamp | None


class ArticleList(Public):
    articles: list[ArticlePublic]


class ArticleSaved(Public):
    outcome: Outcome
    article: ArticlePublic


def _row(row: ArticleRow) -> ArticlePublic:
    return ArticlePublic(
        id=row.id,
        slug=row.slug,
        title=row.title,
        source=row.source,
        url=row.url,
        retired=row.retired,
        passages=row.passages,
        language=row.language,
        imported_at=row.imported_at.isoformat() if row.imported_at else None,
    )


@router.get("/articles")
async def get_articles(sessions: SessionsDep, retired: bool = False) -> ArticleList:
    async with transaction(sessions) as session:
        rows = await list_articles(session, include_retired=retired)
    return ArticleList(articles=[_row(r) for r in rows])


@router.post("/articles", status_code=201)
async def post_article(post: ArticlePost, sessions: SessionsDep) -> ArticleSaved:
    slug = slugify(post.slug or post.title)
    source = f"admin/{slug}.md"
    doc = read_markdown(post.body, Path(source))
    doc.title, doc.url, doc.slug = post.title, post.url, slug
    if not any(s.text.strip() for s in doc.sections):
        raise HTTPException(422, "body has no text")
    language = await asyncio.to_thread(article_language, doc)
    article = await asyncio.to_thread(build_article, doc, source, passage_encoder(), language)
    async with transaction(sessions) as session:
        outcome = await save_article(session, article)
        rows = [r for r in await list_articles(session) if r.source == source]
    return ArticleSaved(outcome=outcome, article=_row(rows[0]))


@router.delete("/articles/{article_id}", status_code=204)
async def remove_article(article_id: int, sessions: SessionsDep) -> None:
    async with transaction(sessions) as session:
        if not await delete_article(session, article_id):
            raise HTTPException(404, f"article {article_id} not found")
