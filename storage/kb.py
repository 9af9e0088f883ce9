"""Knowledge-base full-text search: SQLite FTS5 (bm25) or PostgreSQL ts_rank."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

_WORD = re.compile(r"[a-z0-9]{3,}")
_STOPWORDS = frozenset(
    [
        "the",
        "and",
        "for",
        "you",
        "your",
        "are",
        "can",
        "how",
        "what",
        "when",
        "where",
        "which",
        "with",
        "does",
        "have",
        "has",
        "was",
        "not",
        "this",
        "that",
        "from",
        "into",
        "there",
        "their",
        "they",
        "them",
        "our",
        "out",
        "any",
        "about",
        "would",
        "could",
        "should",
        "will",
    ]
)


@dataclass(frozen=True)
class ArticleHit:
    slug: str
    title: str
    body: str
    url: str | None
    score: float


def _terms(query: str) -> list[str]:
    return [w for w in _WORD.findall(query.lower()) if w not in _STOPWORDS][:12]


async def search_articles(session: AsyncSession, query: str, *, limit: int = 3) -> list[ArticleHit]:
    terms = _terms(query)
    if not terms:
        return []
    bind = session.get_bind()
    if bind.dialect.name == "sqlite":
        # OR of quoted terms: any matching word counts, bm25 ranks (lower is better).
        match = " OR ".join(f'"{t}"' for t in terms)
        rows = await session.exec(  # type: ignore[call-overload]
            text(
                "SELECT a.slug, a.title, a.body, a.url, -bm25(kb_articles_fts, 4.0, 1.0) AS score "
                "FROM kb_articles_fts JOIN kb_articles a ON a.id = kb_articles_fts.rowid "
                "WHERE kb_articles_fts MATCH :match ORDER BY bm25(kb_articles_fts, 4.0, 1.0) "
                "LIMIT :limit"
            ).bindparams(match=match, limit=limit)
        )
    else:
        rows = await session.exec(  # type: ignore[call-overload]
            text(
                "SELECT slug, title, body, url, ts_rank(to_tsvector('english', title || ' ' || body), "
                "to_tsquery('english', :query)) AS score FROM kb_articles "
                "WHERE to_tsvector('english', title || ' ' || body) @@ to_tsquery('english', :query) "
                "ORDER BY score DESC LIMIT :limit"
            ).bindparams(query=" | ".join(terms), limit=limit)
        )
    return [ArticleHit(r.slug, r.title, r.body, r.url, float(r.score)) for r in rows]
