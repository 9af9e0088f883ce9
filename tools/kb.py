"""Knowledge base search over the help-centre passages (public: no sign-in needed).

Each hit carries an id (`kb-<passage id>`) that a model's reply cites in square brackets,
`[kb-12]`; `check_citations` is what the output guardrail uses to catch a reply citing
something it was not given.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.kb import Method, PassageHit, has_vectors, search_passages
from tools.base import Caller, tool
from tools.kb_embedding import passage_encoder

_CITATION = re.compile(r"\[kb-(\d+)\]")


def citation_id(hit: PassageHit) -> str:
    return hit.ref or f"kb-{hit.passage_id}"


async def find_passages(
    session: AsyncSession, query: str, *, limit: int = 3, method: Method = "hybrid"
) -> list[PassageHit]:
    """Hybrid when the passages have vectors and the encoder is installed, else lexical."""
    encoder = passage_encoder() if method != "lexical" else None
    vector = None
    if encoder is not None and await has_vectors(session, encoder.model_id):
        # ~5 ms of CPU: off the event loop.
        vector = await asyncio.to_thread(encoder.encode_one, query)
    return await search_passages(
        session,
        query,
        limit=limit,
        method=method,
        query_vector=vector,
        model=encoder.model_id if encoder else None,
    )


@tool("kb.search", risk="read", public=True)
async def search(
    session: AsyncSession, caller: Caller, *, query: str, limit: int = 3
) -> list[PassageHit]:
    """Search the help centre. Returns passages, best first, each with an id such as kb-12,
    the article title, its heading, text and link. Answer only from these passages and cite
    the ids you used in square brackets, e.g. [kb-12]; if none answers, say you don't know."""
    return await find_passages(session, query, limit=max(1, min(limit, 10)))


@dataclass(frozen=True)
class CitationCheck:
    cited: list[str]
    unknown: list[str]  # cited but never retrieved: made up

    @property
    def grounded(self) -> bool:
        return bool(self.cited) and not self.unknown


def check_citations(reply: str, retrieved: list[PassageHit]) -> CitationCheck:
    """Which kb ids a reply cites, and which of those it was never given."""
    given = {citation_id(h) for h in retrieved}
    cited = list(dict.fromkeys(f"kb-{n}" for n in _CITATION.findall(reply)))
    return CitationCheck(cited=cited, unknown=[c for c in cited if c not in given])
