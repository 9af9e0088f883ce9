"""Knowledge base search over the help-centre passages (public: no sign-in needed).

Each hit carries an id (`kb-<passage id>`) that a model's reply cites in square brackets,
`[kb-12]`; `check_citations` is what the output guardrail uses to catch a reply citing
something it was not given.

Search prefers the customer's language: passages from articles written in it come first,
then the best of the others (each hit names its article's language, so the answer can say
when it comes from another). The language is the caller's, set by the turn's runner.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.kb import Method, PassageHit, has_vectors, search_passages
from tools.base import Caller, tool
from tools.kb_embedding import passage_encoder

_CITATION = re.compile(r"\[kb-(\d+)\]")


def citation_id(hit: PassageHit) -> str:
    return hit.ref or f"kb-{hit.passage_id}"


async def find_passages(
    session: AsyncSession,
    query: str,
    *,
    limit: int = 3,
    method: Method = "hybrid",
    language: str | None = None,
    default_language: str | None = None,
) -> list[PassageHit]:
    """Hybrid when the passages have vectors and the encoder is installed, else lexical.
    With `language`, passages written in it first, then the others (an article without a
    language is taken as written in `default_language`)."""
    encoder = passage_encoder() if method != "lexical" else None
    vector = None
    if encoder is not None and await has_vectors(session, encoder.model_id):
        # ~5 ms of CPU: off the event loop.
        vector = await asyncio.to_thread(encoder.encode_one, query)
    default = default_language or language or ""
    model = encoder.model_id if encoder else None

    async def ranked(**where: Any) -> list[PassageHit]:
        return await search_passages(
            session,
            query,
            limit=limit,
            method=method,
            query_vector=vector,
            model=model,
            default_language=default,
            **where,
        )

    if not language:
        return await ranked()
    own = await ranked(language=language)
    if language == default and len(own) == limit:
        return own
    # The best of the other languages too, for a question only they answer.
    others = await ranked(language=language, other_than=True)
    return [*own[: limit - 1 if others else limit], *others][:limit]


@tool("kb.search", risk="read", public=True)
async def search(
    session: AsyncSession, caller: Caller, *, query: str, limit: int = 3
) -> list[PassageHit]:
    """Search the help centre. Returns passages, best first, each with an id such as kb-12,
    the article title, its heading, text, link and language. Answer only from these
    passages and cite the ids you used in square brackets, e.g. [kb-12]; if none answers,
    say you don't know. Answer in the customer's language even when the passage is in
    another, and then say the article is only available in that language."""
    return await find_passages(
        session,
        query,
        limit=max(1, min(limit, 10)),
        language=caller.language,
        default_language=caller.default_language,
    )


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
