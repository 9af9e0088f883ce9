"""Knowledge base search over the help-centre articles (public: no sign-in needed)."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.kb import ArticleHit, search_articles
from tools.base import Caller, tool


@tool("kb.search", risk="read", public=True)
async def search(
    session: AsyncSession, caller: Caller, *, query: str, limit: int = 3
) -> list[ArticleHit]:
    """Search the help-centre articles; best match first, each with title, text and link."""
    return await search_articles(session, query, limit=limit)
