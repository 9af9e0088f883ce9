"""Knowledge-base search over passages: lexical, semantic, and both fused.

Lexical is SQLite FTS5 (bm25, headings weighted above text) or PostgreSQL full text
(`ts_rank_cd` over a weighted GIN index). Semantic compares a query vector, computed by
the caller, with the passage vectors stored at import: the vectors of the live passages
are read once into a matrix and reused until the passages change, so a query costs a
dot product, not a scan of the table. Hybrid fuses the two rankings by reciprocal rank
fusion, which needs no score calibration between them. Retired articles are never found.

Articles carry a language; `language` restricts a search to the articles written in it
(an article without one counts as written in `default_language`). Query words are any
letters (a Spanish "devolución" is one word; FTS5 folds its accent away).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

import numpy as np
from sqlalchemy import bindparam, text
from sqlmodel.ext.asyncio.session import AsyncSession

Method = Literal["lexical", "semantic", "hybrid"]
# Fusion: RRF with a small k (trusts the head of each ranking), and a lexical hit counts
# in proportion to the square of the share of the question's words it contains, so a
# passage matching one common word ("account") does not outvote the semantic ranking.
# Measured on the demo's 80 questions (bench/README.md): plain RRF k=60 loses to
# semantic alone (recall@1 0.61 vs 0.76); this fusion beats both (0.78).
RRF_K = 10
CANDIDATES = 50  # per ranking, before fusion


def _folded(text: str) -> str:
    """Lowercase without accents, as the index tokenizes ("devolución" → "devolucion")."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_WORD = re.compile(r"[^\W_]{2,}")
_STOPWORD_TEXT = """
a an am as at be by do if in is it me my no of on or so to up us we
the and for you your are can how what when where which who why with does did have has
had was were not this that these those from into there their they them our ours out
any about would could should will just get got its than then also please want need
i'm im hi hello thanks thank
el la los las un una unos unas de del al en es son por para con sin que qué como cómo
mi mis tu tus su sus lo le les se me te nos yo hay ya muy más pero si sí no hola gracias
"""
_STOPWORDS = frozenset(_folded(_STOPWORD_TEXT).split())
PG_SEARCH = (
    "(setweight(to_tsvector('english', p.heading), 'A') || "
    "setweight(to_tsvector('english', p.text), 'B'))"
)


@dataclass(frozen=True)
class PassageHit:
    """A passage found for a query, with what the answer needs to cite it."""

    passage_id: int
    article_id: int
    slug: str
    title: str
    heading: str
    text: str
    url: str | None
    source: str | None
    score: float
    lexical_rank: int | None = None
    semantic_rank: int | None = None
    similarity: float | None = None  # cosine with the query, when semantic ran
    coverage: float = 0.0  # share of the query's words found in the passage
    ref: str = ""  # the id a model's reply cites, "kb-12"
    language: str | None = None  # the article's; None: written in the default language


def query_terms(query: str) -> list[str]:
    """The words of a query worth matching (lowercase, no stop words, at most 16)."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(_folded(query)):
        if word not in _STOPWORDS:
            seen.setdefault(word)
    return list(seen)[:16]


def _stem(word: str) -> str:
    # Crude suffix folding, only for the coverage signal (the index has a real stemmer).
    for suffix in ("ing", "ed", "es", "s", "ly"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def coverage(terms: list[str], passage: str) -> float:
    """Share of `terms` that occur in `passage` (by crude stem): how fully it answers."""
    if not terms:
        return 0.0
    words = _stemmed_words(passage)
    return sum(_stem(t) in words for t in terms) / len(terms)


@functools.lru_cache(maxsize=4096)
def _stemmed_words(passage: str) -> frozenset[str]:
    """Kept per passage text: the same few passages come back for question after question,
    and stemming each one's words again was most of a search's time in Python."""
    return frozenset(_stem(w) for w in _WORD.findall(_folded(passage)))


def _in_language(other_than: bool) -> str:
    return f" AND coalesce(a.language, :default_language) {'<>' if other_than else '='} :language"


async def lexical_ranking(
    session: AsyncSession,
    query: str,
    *,
    limit: int = CANDIDATES,
    language: str | None = None,
    default_language: str = "en",
    other_than: bool = False,
) -> list[int]:
    """Passage ids, best first, matching any of the query's words (in articles written in
    `language`, when given; `other_than`: in any other)."""
    terms = query_terms(query)
    if not terms:
        return []
    where = _in_language(other_than) if language else ""
    if session.get_bind().dialect.name == "sqlite":
        statement = text(
            "SELECT f.rowid AS id FROM kb_passages_fts f "
            "JOIN kb_passages p ON p.id = f.rowid JOIN kb_articles a ON a.id = p.article_id "
            f"WHERE kb_passages_fts MATCH :match AND NOT a.retired{where} "
            "ORDER BY bm25(kb_passages_fts, 2.0, 1.0) LIMIT :limit"
        ).bindparams(match=" OR ".join(f'"{t}"' for t in terms), limit=limit)
    else:
        statement = text(
            f"SELECT p.id FROM kb_passages p JOIN kb_articles a ON a.id = p.article_id "
            f"WHERE {PG_SEARCH} @@ to_tsquery('english', :query) AND NOT a.retired{where} "
            f"ORDER BY ts_rank_cd({PG_SEARCH}, to_tsquery('english', :query)) DESC, p.id "
            f"LIMIT :limit"
        ).bindparams(query=" | ".join(terms), limit=limit)
    if language:
        statement = statement.bindparams(language=language, default_language=default_language)
    rows = await session.exec(statement)  # type: ignore[call-overload]
    return [int(r.id) for r in rows]


@dataclass
class _VectorIndex:
    signature: tuple[int, int, int, str, str]
    ids: np.ndarray
    matrix: np.ndarray
    languages: np.ndarray  # each passage's article language ("" when it has none)


_INDEXES: dict[str, _VectorIndex] = {}


async def _vector_index(session: AsyncSession, model: str) -> _VectorIndex:
    live = (
        "FROM kb_passages p JOIN kb_articles a ON a.id = p.article_id "
        "WHERE NOT a.retired AND p.embedding IS NOT NULL AND p.embedding_model = :model"
    )
    row = (
        await session.exec(  # type: ignore[call-overload]
            text(
                f"SELECT count(*) AS n, max(p.id) AS top, sum(p.id) AS total, "
                f"max(a.imported_at) AS stamp {live}"
            ).bindparams(model=model)
        )
    ).one()
    # Ids alone are not enough: SQLite reuses the highest rowid after a delete.
    signature = (int(row.n), int(row.top or 0), int(row.total or 0), str(row.stamp), model)
    key = str(session.get_bind().engine.url)
    index = _INDEXES.get(key)
    if index is None or index.signature != signature:
        rows = (
            await session.exec(  # type: ignore[call-overload]
                text(f"SELECT p.id, p.embedding, a.language {live} ORDER BY p.id").bindparams(
                    model=model
                )
            )
        ).all()
        ids = np.array([r.id for r in rows], dtype=np.int64)
        matrix = (
            np.vstack([np.frombuffer(r.embedding, dtype=np.float32) for r in rows])
            if rows
            else np.zeros((0, 0), dtype=np.float32)
        )
        languages = np.array([r.language or "" for r in rows], dtype=object)
        index = _INDEXES[key] = _VectorIndex(signature, ids, matrix, languages)
    return index


async def has_vectors(session: AsyncSession, model: str) -> bool:
    """Whether any live passage was embedded with `model` (else semantic search is moot)."""
    return len((await _vector_index(session, model)).ids) > 0


async def semantic_ranking(
    session: AsyncSession,
    vector: np.ndarray,
    model: str,
    *,
    limit: int = CANDIDATES,
    language: str | None = None,
    default_language: str = "en",
    other_than: bool = False,
) -> list[tuple[int, float]]:
    """(passage id, cosine) best first; `vector` is the unit-length query embedding."""
    index = await _vector_index(session, model)
    if not len(index.ids) or index.matrix.shape[1] != vector.shape[0]:
        return []
    scores = index.matrix @ vector.astype(np.float32)
    order = np.argsort(-scores, kind="stable")
    if language:
        written = np.where(index.languages == "", default_language, index.languages)
        order = order[(written[order] == language) != other_than]
    top = order[:limit]
    return [(int(index.ids[i]), float(scores[i])) for i in top]


def fuse(*rankings: list[tuple[int, float]], k: int = RRF_K) -> list[tuple[int, float]]:
    """Weighted reciprocal rank fusion: the sum of weight/(k + rank) over the rankings
    an item is in; each ranking lists (item, weight) best first."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, (item, weight) in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


async def _details(session: AsyncSession, ids: list[int]) -> dict[int, dict[str, object]]:
    if not ids:
        return {}
    rows = await session.exec(  # type: ignore[call-overload]
        text(
            "SELECT p.id, p.article_id, p.heading, p.text, a.slug, a.title, a.url, a.source, "
            "a.language "
            "FROM kb_passages p JOIN kb_articles a ON a.id = p.article_id WHERE p.id IN :ids"
        ).bindparams(bindparam("ids", expanding=True), ids=ids)
    )
    return {int(r.id): dict(r._mapping) for r in rows}


async def search_passages(
    session: AsyncSession,
    query: str,
    *,
    limit: int = 5,
    method: Method = "hybrid",
    query_vector: np.ndarray | None = None,
    model: str | None = None,
    language: str | None = None,
    default_language: str = "en",
    other_than: bool = False,
) -> list[PassageHit]:
    """The best `limit` passages for `query` (only from articles written in `language`,
    when given; `other_than`: only from articles in other languages). Semantic needs `query_vector` and the `model` it came from; without them
    hybrid is lexical alone."""
    lexical = (
        await lexical_ranking(
            session,
            query,
            language=language,
            default_language=default_language,
            other_than=other_than,
        )
        if method != "semantic"
        else []
    )
    semantic: list[tuple[int, float]] = []
    if method != "lexical" and query_vector is not None and model is not None:
        semantic = await semantic_ranking(
            session,
            query_vector,
            model,
            language=language,
            default_language=default_language,
            other_than=other_than,
        )
    details = await _details(session, list(dict.fromkeys([*lexical, *(i for i, _ in semantic)])))
    terms = query_terms(query)
    covered = {pid: coverage(terms, f"{d['heading']} {d['text']}") for pid, d in details.items()}
    if method == "lexical" or (method == "hybrid" and not semantic):
        ranked = [(i, 1.0 / (RRF_K + r)) for r, i in enumerate(lexical, 1)]
    elif method == "semantic":
        ranked = list(semantic)
    else:
        ranked = fuse(
            [(i, covered.get(i, 0.0) ** 2) for i in lexical], [(i, 1.0) for i, _ in semantic]
        )
    similarity = dict(semantic)
    lexical_rank = {i: r for r, i in enumerate(lexical, 1)}
    semantic_rank = {i: r for r, (i, _) in enumerate(semantic, 1)}
    hits = []
    for pid, score in ranked:
        d = details.get(pid)
        if d is None or score <= 0:
            continue
        hits.append(
            PassageHit(
                passage_id=pid,
                article_id=int(d["article_id"]),  # type: ignore[call-overload]
                slug=str(d["slug"]),
                title=str(d["title"]),
                heading=str(d["heading"]),
                text=str(d["text"]),
                url=d["url"],  # type: ignore[arg-type]
                source=d["source"],  # type: ignore[arg-type]
                score=score,
                lexical_rank=lexical_rank.get(pid),
                semantic_rank=semantic_rank.get(pid),
                similarity=similarity.get(pid),
                coverage=covered.get(pid, 0.0),
                ref=f"kb-{pid}",
                language=d["language"] or default_language,  # type: ignore[arg-type]
            )
        )
        if len(hits) == limit:
            break
    return hits
