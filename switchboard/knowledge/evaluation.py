"""Retrieval quality on labelled questions: recall@1, recall@5 and MRR per method.

Page-level, as a person judges it: a page counts as found at the rank of its best
passage. A question's expected page is named by its source (`billing/refunds.md`) or
its slug.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import transaction
from storage.kb import CANDIDATES, Method, has_vectors, search_passages
from tools.kb_embedding import PassageEncoder


class BadEvalData(ValueError):
    pass


@dataclass(frozen=True)
class MethodScore:
    method: Method
    questions: int
    recall_at_1: float
    recall_at_5: float
    mrr: float

    def line(self) -> str:
        return (
            f"{self.method}: recall@1 {self.recall_at_1:.2f} recall@5 {self.recall_at_5:.2f} "
            f"MRR {self.mrr:.2f}"
        )


def read_questions(path: Path) -> list[tuple[str, str]]:
    """(question, expected source) rows of a CSV with columns question,expected_source."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    if not rows or not {"question", "expected_source"} <= set(rows[0]):
        raise BadEvalData(f"{path}: expected a CSV with columns question,expected_source")
    return [(r["question"], r["expected_source"].strip()) for r in rows if r["question"].strip()]


def _rank(pages: list[tuple[str | None, str]], expected: str) -> int | None:
    for rank, (source, slug) in enumerate(pages, start=1):
        if expected in (source, slug):
            return rank
    return None


async def evaluate(
    sessions: async_sessionmaker[AsyncSession],
    questions: list[tuple[str, str]],
    *,
    encoder: PassageEncoder | None,
) -> tuple[list[MethodScore], list[str]]:
    """Scores per method that can run here, and a note for each that cannot."""
    methods: list[Method] = ["lexical"]
    notes = []
    vectors = None
    async with transaction(sessions) as session:
        semantic = encoder is not None and await has_vectors(session, encoder.model_id)
    if semantic and encoder is not None:
        methods += ["semantic", "hybrid"]
        vectors = encoder.encode([q for q, _ in questions])
    else:
        notes.append(
            "semantic: unavailable (install switchboard[semantic] and re-import)"
            if encoder is None
            else "semantic: no passage vectors (re-import with the semantic extra installed)"
        )
    scores = []
    for method in methods:
        ranks: list[int | None] = []
        async with transaction(sessions) as session:
            for i, (question, expected) in enumerate(questions):
                hits = await search_passages(
                    session,
                    question,
                    limit=CANDIDATES,
                    method=method,
                    query_vector=vectors[i] if vectors is not None else None,
                    model=encoder.model_id if encoder else None,
                )
                pages = list(dict.fromkeys((h.source, h.slug) for h in hits))
                ranks.append(_rank(pages, expected))
        n = len(ranks) or 1
        scores.append(
            MethodScore(
                method=method,
                questions=len(ranks),
                recall_at_1=sum(r == 1 for r in ranks) / n,
                recall_at_5=sum(r is not None and r <= 5 for r in ranks) / n,
                mrr=sum(1 / r for r in ranks if r) / n,
            )
        )
    return scores, notes
